#if canImport(Glibc)
import Glibc
#endif
import RedoxFSFormat

/// Copies a file system's tree into a host directory, with modes, times, and owners when allowed.
/// Names that cannot be a host path component ("." / "..", or holding '/' or NUL) are refused.
public struct TreeExporter {
    public let fileSystem: FileSystem
    /// Whether to set owners (needs root).
    public var preserveOwners: Bool
    /// Called for each path copied.
    public var progress: ((String) -> Void)?
    private var linked: [UInt32: String] = [:]

    public init(fileSystem: FileSystem, preserveOwners: Bool = geteuid() == 0) {
        self.fileSystem = fileSystem
        self.preserveOwners = preserveOwners
    }

    /// Copies the tree under `destination` (created if missing; must be empty or absent).
    public mutating func export(to destination: String) throws(FileSystemError) {
        if mkdir(destination, 0o755) != 0 && errno != EEXIST {
            throw .system(operation: "mkdir", path: destination, errno: errno)
        }
        var visited: Set<UInt32> = []
        try exportDirectory(RedoxFS.rootNodeID, to: destination, visited: &visited, depth: 0)
        try applyMetadata(fileSystem.node(RedoxFS.rootNodeID), to: destination)
    }

    private mutating func exportDirectory(
        _ id: UInt32, to hostPath: String, visited: inout Set<UInt32>, depth: Int
    ) throws(FileSystemError) {
        guard depth < 4096, visited.insert(id).inserted else { throw .format(.malformed(.dirList, block: 0, .cycle)) }
        for entry in try fileSystem.entries(of: id) {
            guard let name = Self.hostName(entry.name) else {
                throw .invalidArgument("refusing entry name \(String(decoding: entry.name, as: UTF8.self).debugDescription) in directory node \(id)")
            }
            let path = hostPath + "/" + name
            let node = try fileSystem.node(entry.nodeID)
            progress?(path)
            if node.links > 1, !node.isDirectory, let first = linked[entry.nodeID] {
                if link(first, path) != 0 { throw .system(operation: "link", path: path, errno: errno) }
                continue
            }
            switch node.kind {
            case .directory:
                if mkdir(path, 0o700) != 0 { throw .system(operation: "mkdir", path: path, errno: errno) }
                try exportDirectory(entry.nodeID, to: path, visited: &visited, depth: depth + 1)
            case .symlink:
                let target = try fileSystem.readLink(entry.nodeID) + [0]
                let ok = target.withUnsafeBufferPointer { symlink(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), path) }
                if ok != 0 { throw .system(operation: "symlink", path: path, errno: errno) }
            case .fifo, .socket, .characterDevice, .blockDevice:
                try exportSpecial(node, to: path)
            case .file, nil:
                try exportFile(node, to: path)
            }
            try applyMetadata(node, to: path)
            if node.links > 1 { linked[entry.nodeID] = path }
        }
    }

    private func exportFile(_ node: Node, to path: String) throws(FileSystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(operation: "create", path: path, errno: errno) }
        defer { close(fd) }
        try fileSystem.forEachChunk(of: node) { (chunk, offset) throws(FileSystemError) in
            // All-zero chunks stay holes.
            guard chunk.contains(where: { $0 != 0 }) else { return }
            guard pwrite(fd, chunk.baseAddress, chunk.count, off_t(offset)) == chunk.count else {
                throw .system(operation: "write", path: path, errno: errno)
            }
        }
        if ftruncate(fd, off_t(node.size)) != 0 { throw .system(operation: "truncate", path: path, errno: errno) }
    }

    /// Recreates a FIFO, socket or device node with mknod (a socket becomes a socket node, bound
    /// to nothing, as the kernel makes for mknod S_IFSOCK; devices need root).
    private func exportSpecial(_ node: Node, to path: String) throws(FileSystemError) {
        var device: dev_t = 0
        if node.kind?.isDevice == true { device = dev_t(try fileSystem.deviceNumber(of: node).linuxValue) }
        if mknod(path, mode_t(node.mode & Node.modeTypeMask) | 0o600, device) != 0 {
            throw .system(operation: "mknod", path: path, errno: errno)
        }
    }

    private func applyMetadata(_ node: Node, to path: String) throws(FileSystemError) {
        if preserveOwners, lchown(path, node.uid, node.gid) != 0 {
            throw .system(operation: "chown", path: path, errno: errno)
        }
        if !node.isSymlink, chmod(path, mode_t(node.permissions)) != 0 {
            throw .system(operation: "chmod", path: path, errno: errno)
        }
        var times = [
            timespec(tv_sec: Int(node.atime), tv_nsec: Int(node.atimeNanoseconds)),
            timespec(tv_sec: Int(node.mtime), tv_nsec: Int(node.mtimeNanoseconds)),
        ]
        if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 {
            throw .system(operation: "utimensat", path: path, errno: errno)
        }
    }

    /// The host name for an entry name, or nil if it cannot be one.
    public static func hostName(_ name: [UInt8]) -> String? {
        guard !name.isEmpty, name != [0x2E], name != [0x2E, 0x2E], !name.contains(0), !name.contains(0x2F) else { return nil }
        return String(decoding: name, as: UTF8.self)
    }
}
