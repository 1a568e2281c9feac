// The `file` scheme over a mounted volume (kernel.md §4.4): open by path, read, fstat, fsize,
// fpath, directory listings. Served read-only through the format core's `FileSystemReader`
// until the portable copy-on-write engine lands (then writes, mkdir, unlink, rename and commits
// on fsync go through it); every request that would change the volume answers EROFS.
// A directory opened and read gives its names, one per line (as the initfs does; this kernel
// does not forward getdents).

import RedoxFSFormat
import RedoxRuntime

final class FileScheme: SchemeDaemon {
    typealias Files = FileSystemReader<DeviceBlockReader<SchemeDisk, XTSAES128>>

    /// One open file or directory.
    struct OpenFile {
        var id: UInt32
        var node: Node
        var path: [UInt8]
        /// A directory's names, one per line (made on first read).
        var listing: [UInt8]?
    }

    var files: Files
    private var handles: [OpenFile?] = []
    static let statSize = 104

    init(name: [UInt8], files: Files) {
        self.files = files
        super.init(name: name)
    }

    /// Reads the root directory once: a volume whose tree cannot be read is not served.
    func checkRoot() -> FormatError? {
        do throws(FormatError) {
            let root = try files.node(RedoxFS.rootNodeID)
            guard root.isDirectory else { return .notDirectory }
            _ = try files.entries(of: root)
            return nil
        } catch {
            return error
        }
    }

    private func report(_ path: [UInt8], _ error: FormatError) -> Int {
        let code = errno(for: error)
        if code == Errno.EIO { say("redoxfs: /", .bytes(path), ": ", .bytes(describe(error))) }
        return -code
    }

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) {
        var clean: [UInt8] = []
        for component in VolumeSearch.lines(path.map { $0 == 0x2F ? 0x0A : $0 }) {
            if component == [0x2E] { continue }
            if !clean.isEmpty { clean.append(0x2F) }
            clean += component
        }
        let id: UInt32
        let node: Node
        do throws(FormatError) {
            id = try files.lookup(path: clean)
            node = try files.node(id)
        } catch {
            if error == .notFound && flags & OpenFlags.create != 0 { return (-Errno.EROFS, false) }
            return (report(clean, error), false)
        }
        if flags & OpenFlags.create != 0 && flags & OpenFlags.exclusive != 0 { return (-Errno.EEXIST, false) }
        if flags & OpenFlags.directory != 0 && !node.isDirectory { return (-Errno.ENOTDIR, false) }
        let access = flags & OpenFlags.accessMode
        if access == OpenFlags.writeOnly || access == OpenFlags.readWrite || flags & OpenFlags.truncate != 0 {
            return (node.isDirectory ? -Errno.EISDIR : -Errno.EROFS, false)
        }
        let file = OpenFile(id: id, node: node, path: clean, listing: nil)
        for index in handles.indices where handles[index] == nil {
            handles[index] = file
            return (index, true)
        }
        handles.append(file)
        return (handles.count - 1, true)
    }

    private func valid(_ handle: Int) -> Bool { handle >= 0 && handle < handles.count && handles[handle] != nil }

    private func listing(_ handle: Int) -> Result<[UInt8], FormatError> {
        if let ready = handles[handle]!.listing { return .success(ready) }
        var text: [UInt8] = []
        do throws(FormatError) {
            try files.forEachEntry(of: handles[handle]!.node) { (entry) throws(FormatError) in
                text += entry.name
                text.append(0x0A)
                return true
            }
        } catch {
            return .failure(error)
        }
        handles[handle]!.listing = text
        return .success(text)
    }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        guard valid(handle) else { return -Errno.EBADF }
        let file = handles[handle]!
        if file.node.isDirectory {
            switch listing(handle) {
            case .failure(let error): return report(file.path, error)
            case .success(let text):
                guard offset < UInt64(text.count) else { return 0 }
                let count = min(buffer.count, text.count - Int(offset))
                text.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: count) }
                return count
            }
        }
        do throws(FormatError) {
            return try files.read(file.node, at: offset, into: buffer, codec: SwiftLZ4())
        } catch {
            return report(file.path, error)
        }
    }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int {
        valid(handle) ? -Errno.EROFS : -Errno.EBADF
    }

    override func close(handle: Int) {
        if valid(handle) { handles[handle] = nil }
    }

    override func size(handle: Int) -> Int {
        guard valid(handle) else { return -Errno.EBADF }
        if handles[handle]!.node.isDirectory {
            if case .success(let text) = listing(handle) { return text.count }
            return -Errno.EIO
        }
        return Int(clamping: handles[handle]!.node.size)
    }

    override func path(handle: Int) -> [UInt8] { valid(handle) ? handles[handle]!.path : [] }

    override func handle(_ request: Request) -> (Int, UInt8) {
        let handle = Int(truncatingIfNeeded: request.args[0])
        switch request.opcode {
        case SchemeDaemon.opFstat:
            guard valid(handle) else { return (-Errno.EBADF, 0) }
            guard request.args[2] >= UInt64(FileScheme.statSize) else { return (-Errno.EINVAL, 0) }
            writeStat(id: handles[handle]!.id, node: handles[handle]!.node, to: request.buffer)
            return (0, 0)
        case SchemeDaemon.opFsync:
            return (valid(handle) ? 0 : -Errno.EBADF, 0)
        case SchemeDaemon.opFtruncate, SchemeDaemon.opFrename:
            return (valid(handle) ? -Errno.EROFS : -Errno.EBADF, 0)
        case SchemeDaemon.opUnlinkAt:
            return (-Errno.EROFS, 0)
        default:
            return super.handle(request)
        }
    }
}
