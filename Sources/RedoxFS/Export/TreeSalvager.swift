#if canImport(Glibc)
import Glibc
#endif
import RedoxFSFormat

/// What a salvage recovered, and from which generation, and what it could not.
public struct SalvageReport: Sendable {
    /// A path copied out, with the generation its content came from.
    public struct Recovered: Sendable, Equatable {
        public var path: String
        public var generation: UInt64
        public var kind: NodeKind
    }

    /// A path some generation names but none could give verified content for.
    public struct Lost: Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    /// The generation the salvage started from (the newest on disk).
    public var newestGeneration: UInt64 = 0
    public var recovered: [Recovered] = []
    public var lost: [Lost] = []
    /// Generations looked at, newest first.
    public var generationsRead: [UInt64] = []
}

/// Copies out of a damaged file system every file, directory and symlink whose blocks verify,
/// from the newest generation first and then from older ones for what the newest cannot read
/// (like `btrfs restore`). Reads only: the image is never written. A path the newer generations
/// list as absent is not brought back from an older one: only what a newer generation cannot
/// read (its node, its content, or the directory listing it lies in) is looked for further back.
public struct TreeSalvager {
    public let fileSystem: FileSystem
    /// Called with each path recovered and its generation.
    public var progress: ((String, UInt64) -> Void)?

    /// Recovered paths and their generation.
    private var done: [String: UInt64] = [:]
    /// Directories whose listing some (newer) generation read: their children are known.
    private var settled: Set<String> = []
    /// Paths known by name whose node or content could not be read yet, with why.
    private var wanted: [String: String] = [:]
    private var report = SalvageReport()
    /// Directories made, for their modes and times at the end (deepest first).
    private var directories: [(path: String, node: Node)] = []

    /// A salvager over `fileSystem` (opened read-only; any generation: the salvage starts from the
    /// newest of its ring).
    public init(fileSystem: FileSystem) {
        self.fileSystem = fileSystem
    }

    /// Salvages into `destination` (created when missing; must be empty).
    public mutating func salvage(to destination: String) throws(FileSystemError) -> SalvageReport {
        if mkdir(destination, 0o755) != 0 && errno != EEXIST {
            throw .system(operation: "mkdir", path: destination, errno: errno)
        }
        let generations = try fileSystem.ringGenerations()
        report.newestGeneration = generations.first?.header.generation ?? fileSystem.header.generation
        let blockReader = fileSystem.reader.reader
        for location in generations {
            report.generationsRead.append(location.header.generation)
            var reader = FileSystemReader(reader: blockReader, tree: location.header.tree)
            visit(RedoxFS.rootNodeID, path: "/", generation: location.header.generation, reader: &reader, destination: destination, depth: 0)
            if wanted.isEmpty { break }
        }
        for (path, node) in directories.reversed() { applyMetadata(node, to: destination + path) }
        report.lost = wanted.map { SalvageReport.Lost(path: $0.key, reason: $0.value) }.sorted { $0.path < $1.path }
        report.recovered.sort { $0.path < $1.path }
        return report
    }

    private mutating func visit(
        _ id: UInt32, path: String, generation: UInt64, reader: inout FileSystemReader<CachedBlockReader<AnyStorageDevice, OpenSSLXTS>>,
        destination: String, depth: Int
    ) {
        let known = done[path] != nil
        let node: Node
        do {
            node = try reader.node(id)
        } catch {
            if !known { wanted[path] = "\(error)" }
            return
        }
        guard let kind = node.kind else {
            if !known { wanted[path] = "node \(id) has no known type" }
            return
        }
        let host = destination + (path == "/" ? "" : path)
        if kind != .directory {
            guard !known else { return }
            do {
                try copy(node, kind: kind, reader: &reader, to: host)
                record(path, kind: kind, generation: generation)
            } catch {
                unlink(host)
                wanted[path] = "\(error)"
            }
            return
        }
        if !known {
            if path != "/", mkdir(host, 0o700) != 0, errno != EEXIST {
                wanted[path] = "mkdir: \(String(cString: strerror(errno)))"
                return
            }
            record(path, kind: .directory, generation: generation)
            directories.append((path == "/" ? "" : path, node))
        }
        let entries: [DirectoryEntry]
        do {
            entries = try reader.entries(of: node)
        } catch {
            if !settled.contains(path) { wanted[path] = "its entries cannot be read: \(error)" }
            return
        }
        guard depth < 4096 else { return }
        let listedBefore = !settled.insert(path).inserted
        if !listedBefore { wanted[path] = nil }
        let prefix = path == "/" ? "/" : path + "/"
        for entry in entries {
            guard let name = TreeExporter.hostName(entry.name) else { continue }
            let child = prefix + name
            // A newer generation listed this directory without the name: it was removed since.
            if listedBefore, done[child] == nil, wanted[child] == nil { continue }
            visit(entry.nodeID, path: child, generation: generation, reader: &reader, destination: destination, depth: depth + 1)
        }
    }

    private mutating func record(_ path: String, kind: NodeKind, generation: UInt64) {
        done[path] = generation
        wanted[path] = nil
        report.recovered.append(SalvageReport.Recovered(path: path, generation: generation, kind: kind))
        progress?(path, generation)
    }

    /// Writes a file's or symlink's verified content at `host`.
    private func copy(
        _ node: Node, kind: NodeKind, reader: inout FileSystemReader<CachedBlockReader<AnyStorageDevice, OpenSSLXTS>>, to host: String
    ) throws(FileSystemError) {
        let codec = SystemLZ4()
        if kind == .symlink {
            let target: [UInt8]
            do { target = try reader.readAll(node, codec: codec) } catch { throw .format(error) }
            let made = (target + [0]).withUnsafeBufferPointer { symlink(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), host) }
            if made != 0 { throw .system(operation: "symlink", path: host, errno: errno) }
            return
        }
        let fd = open(host, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(operation: "create", path: host, errno: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: UInt64 = 0
        while offset < node.size {
            var failure: FileSystemError?
            buffer.withUnsafeMutableBytes { raw in
                do throws(FormatError) {
                    let count = try reader.read(node, at: offset, into: raw, codec: codec)
                    if count == 0 { offset = node.size; return }
                    if raw[0..<count].contains(where: { $0 != 0 }),
                       pwrite(fd, raw.baseAddress, count, off_t(offset)) != count {
                        failure = .system(operation: "write", path: host, errno: errno)
                    }
                    offset += UInt64(count)
                } catch {
                    failure = .format(error)
                }
            }
            if let failure { throw failure }
        }
        if ftruncate(fd, off_t(node.size)) != 0 { throw .system(operation: "truncate", path: host, errno: errno) }
        applyMetadata(node, to: host)
    }

    private func applyMetadata(_ node: Node, to host: String) {
        if !node.isSymlink { chmod(host, mode_t(node.permissions)) }
        var times = [
            timespec(tv_sec: Int(node.atime), tv_nsec: Int(node.atimeNanoseconds)),
            timespec(tv_sec: Int(node.mtime), tv_nsec: Int(node.mtimeNanoseconds)),
        ]
        utimensat(AT_FDCWD, host, &times, AT_SYMLINK_NOFOLLOW)
    }
}
