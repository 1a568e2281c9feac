// The `file` scheme served read-write by the project's copy-on-write engine (Sources/RedoxFSEngine,
// the portable write path, compiled as Embedded Swift with the core's own providers): open
// (O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY = mkdir), read, write (O_APPEND), fstat, fsize, fpath,
// fsync (a commit), ftruncate, unlinkat (AT_REMOVEDIR), frename, directory listings by read.
// Changes commit on fsync, every `commitMilliseconds` when idle with changes pending, and when
// the scheme closes. Built only when the engine's module is there (else FileScheme serves
// read-only).

#if canImport(RedoxFSEngine)
import RedoxFSEngine
import RedoxFSFormat
import RedoxRuntime

/// `ceil` for the engine's few floating-point roundings (there is no libm here): truncation
/// through the integer conversion, one up when that fell below.
@_cdecl("ceil")
func roundUpDouble(_ x: Double) -> Double {
    if !(x.magnitude < 4_503_599_627_370_496.0) { return x }   // NaN, infinities, already integral
    let truncated = Double(Int64(x))
    return truncated < x ? truncated + 1 : truncated
}

/// A disk scheme entry is the engine's device as it is (reads, writes, fsync as flush).
extension SchemeDisk: StorageDevice {}

/// The engine on a disk scheme entry with the format core's providers.
typealias DaemonEngine = FileSystemEngine<SchemeDisk, CoreProviders>

/// The providers of the daemon: the core's cipher, LZ4 and Argon2id, the CMOS clock, RDRAND.
func daemonProviders() -> CoreProviders {
    CoreProviders(clock: {
        let (seconds, nanoseconds) = RealTimeClock.now()
        return Timestamp(seconds: seconds, nanoseconds: nanoseconds)
    }, random: { count in
        var bytes: [UInt8] = []
        var state = timestamp()
        while bytes.count < count {
            var value = cpuHasRDRAND() ? hardwareRandomValue() : 0
            state = state &* 6364136223846793005 &+ 1442695040888963407
            value ^= state ^ timestamp()
            for shift in stride(from: 0, to: 64, by: 8) where bytes.count < count {
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        return bytes
    })
}

final class EngineFileScheme: SchemeDaemon {
    let engine: DaemonEngine
    static let commitMilliseconds = 5000

    /// One open file or directory: its node, where its name lives, the open flags.
    struct OpenFile {
        var id: UInt32
        var parent: UInt32
        var name: [UInt8]
        var path: [UInt8]
        var flags: Int
        var listing: [UInt8]?
    }

    private var handles: [OpenFile?] = []

    init(name: [UInt8], engine: DaemonEngine) {
        self.engine = engine
        super.init(name: name)
    }

    // MARK: Paths

    static func components(_ path: [UInt8]) -> [[UInt8]] {
        VolumeSearch.lines(path.map { $0 == 0x2F ? 0x0A : $0 }).filter { $0 != [0x2E] }
    }

    /// The node of the folder holding the last component, and that component (empty for the root).
    private func resolveParent(_ parts: [[UInt8]]) throws(FileSystemError) -> (UInt32, [UInt8]) {
        var id = RedoxFS.rootNodeID
        for part in parts.dropLast() {
            guard let next = try engine.find(part, in: id) else { throw .format(.notFound) }
            id = next
        }
        return (id, parts.last ?? [])
    }

    private func fail(_ path: [UInt8], _ error: FileSystemError) -> Int {
        let code = Int(error.errno)
        if code == Errno.EIO {
            if case .format(let format) = error {
                say("redoxfs: /", .bytes(path), ": ", .bytes(describe(format)))
            } else {
                say("redoxfs: /", .bytes(path), ": I/O error")
            }
        }
        return -code
    }

    // MARK: Requests

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) {
        let parts = Self.components(path)
        let clean = join(parts)
        let access = flags & OpenFlags.accessMode
        let writing = access == OpenFlags.writeOnly || access == OpenFlags.readWrite
        do throws(FileSystemError) {
            let (parent, name) = try resolveParent(parts)
            var id = RedoxFS.rootNodeID
            if !name.isEmpty {
                if let found = try engine.find(name, in: parent) {
                    if flags & OpenFlags.create != 0 && flags & OpenFlags.exclusive != 0 { return (-Errno.EEXIST, false) }
                    id = found
                } else {
                    guard flags & OpenFlags.create != 0 else { return (-Errno.ENOENT, false) }
                    let directory = flags & OpenFlags.directory != 0
                    var permissions = UInt16(truncatingIfNeeded: flags & 0o7777)
                    if permissions == 0 { permissions = directory ? 0o755 : 0o644 }
                    id = try engine.create(name, in: parent, mode: (directory ? 0x4000 : 0x8000) | permissions, uid: 0, gid: 0)
                }
            }
            let node = try engine.node(id)
            if flags & OpenFlags.directory != 0 && !node.isDirectory { return (-Errno.ENOTDIR, false) }
            if node.isDirectory && (writing || flags & OpenFlags.truncate != 0) { return (-Errno.EISDIR, false) }
            if flags & OpenFlags.truncate != 0 && writing && node.size > 0 { try engine.truncate(id, to: 0) }
            engine.retain(id)
            let file = OpenFile(id: id, parent: parent, name: name, path: clean, flags: flags, listing: nil)
            for index in handles.indices where handles[index] == nil {
                handles[index] = file
                return (index, true)
            }
            handles.append(file)
            return (handles.count - 1, true)
        } catch {
            return (fail(clean, error), false)
        }
    }

    private func valid(_ handle: Int) -> Bool { handle >= 0 && handle < handles.count && handles[handle] != nil }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        guard valid(handle) else { return -Errno.EBADF }
        let file = handles[handle]!
        do throws(FileSystemError) {
            let node = try engine.node(file.id)
            if node.isDirectory {
                let text = try listing(handle)
                guard offset < UInt64(text.count) else { return 0 }
                let count = min(buffer.count, text.count - Int(offset))
                text.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: count) }
                return count
            }
            return try engine.read(node, at: offset, into: buffer)
        } catch {
            return fail(file.path, error)
        }
    }

    private func listing(_ handle: Int) throws(FileSystemError) -> [UInt8] {
        if let ready = handles[handle]!.listing { return ready }
        var text: [UInt8] = []
        for entry in try engine.entries(of: handles[handle]!.id) { text += entry.name + [0x0A] }
        handles[handle]!.listing = text
        return text
    }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int {
        guard valid(handle) else { return -Errno.EBADF }
        let file = handles[handle]!
        let access = file.flags & OpenFlags.accessMode
        guard access == OpenFlags.writeOnly || access == OpenFlags.readWrite else { return -Errno.EBADF }
        do throws(FileSystemError) {
            var position = offset
            if file.flags & OpenFlags.append != 0 || offset == UInt64.max { position = try engine.node(file.id).size }
            return try engine.write(file.id, at: position, buffer)
        } catch {
            return fail(file.path, error)
        }
    }

    override func close(handle: Int) {
        guard valid(handle) else { return }
        let id = handles[handle]!.id
        handles[handle] = nil
        do throws(FileSystemError) { try engine.releaseHandle(id) } catch { _ = fail([], error) }
    }

    override func size(handle: Int) -> Int {
        guard valid(handle) else { return -Errno.EBADF }
        do throws(FileSystemError) {
            let node = try engine.node(handles[handle]!.id)
            return node.isDirectory ? try listing(handle).count : Int(clamping: node.size)
        } catch {
            return fail(handles[handle]!.path, error)
        }
    }

    override func path(handle: Int) -> [UInt8] { valid(handle) ? handles[handle]!.path : [] }

    /// Commits what is pending (fsync, the idle timer, the end).
    func commit() -> Int {
        do throws(FileSystemError) {
            try engine.sync()
            return 0
        } catch {
            return fail([], error)
        }
    }

    override func handle(_ request: Request) -> (Int, UInt8) {
        let handle = Int(truncatingIfNeeded: request.args[0])
        switch request.opcode {
        case SchemeDaemon.opFstat:
            guard valid(handle) else { return (-Errno.EBADF, 0) }
            guard request.args[2] >= 104 else { return (-Errno.EINVAL, 0) }
            do throws(FileSystemError) {
                writeStat(id: handles[handle]!.id, node: try engine.node(handles[handle]!.id), to: request.buffer)
                return (0, 0)
            } catch {
                return (fail(handles[handle]!.path, error), 0)
            }
        case SchemeDaemon.opFsync:
            return (valid(handle) ? commit() : -Errno.EBADF, 0)
        case SchemeDaemon.opFtruncate:
            guard valid(handle) else { return (-Errno.EBADF, 0) }
            do throws(FileSystemError) {
                try engine.truncate(handles[handle]!.id, to: request.args[1])
                return (0, 0)
            } catch {
                return (fail(handles[handle]!.path, error), 0)
            }
        case SchemeDaemon.opUnlinkAt:
            let path = request.args[2] == 0 ? [] : Array(UnsafeRawBufferPointer(request.buffer))
            return (unlink(path, removeDirectory: request.args[3] & 0x200 != 0), 0)
        case SchemeDaemon.opFrename:
            guard valid(handle) else { return (-Errno.EBADF, 0) }
            let path = request.args[2] == 0 ? [] : Array(UnsafeRawBufferPointer(request.buffer))
            return (rename(handle, to: path), 0)
        default:
            return super.handle(request)
        }
    }

    private func unlink(_ path: [UInt8], removeDirectory: Bool) -> Int {
        let parts = Self.components(path)
        guard !parts.isEmpty else { return -Errno.EBUSY }
        do throws(FileSystemError) {
            let (parent, name) = try resolveParent(parts)
            guard let id = try engine.find(name, in: parent) else { return -Errno.ENOENT }
            let isDirectory = try engine.node(id).isDirectory
            if removeDirectory {
                guard isDirectory else { return -Errno.ENOTDIR }
                try engine.removeDirectory(name, in: parent)
            } else {
                guard !isDirectory else { return -Errno.EISDIR }
                try engine.unlink(name, in: parent)
            }
            return 0
        } catch {
            return fail(join(parts), error)
        }
    }

    private func rename(_ handle: Int, to path: [UInt8]) -> Int {
        let file = handles[handle]!
        let parts = Self.components(path)
        guard !parts.isEmpty, !file.name.isEmpty else { return -Errno.EBUSY }
        do throws(FileSystemError) {
            let (parent, name) = try resolveParent(parts)
            try engine.rename(file.name, in: file.parent, to: name, in: parent)
            handles[handle]!.parent = parent
            handles[handle]!.name = name
            handles[handle]!.path = join(parts)
            return 0
        } catch {
            return fail(join(parts), error)
        }
    }

    private func join(_ parts: [[UInt8]]) -> [UInt8] {
        var path: [UInt8] = []
        for part in parts { path += (path.isEmpty ? [] : [0x2F]) + part }
        return path
    }
}
#endif
