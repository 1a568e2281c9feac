// Small POSIX file helpers with typed errors (no Foundation): reading, writing, listing,
// inspecting without following links.
import Glibc

/// File-system calls used by archiving and installing, each failing with `PkgarError.io`.
public enum Posix {
    /// What `lstat` reports about a path.
    public enum FileKind: Equatable, Sendable { case regular, directory, symbolicLink, other }

    /// Metadata of a path, not following a final symbolic link.
    public struct Status: Sendable {
        public let kind: FileKind
        public let mode: UInt32
        public let size: UInt64
    }

    static func failure(_ path: String, _ operation: String) -> PkgarError {
        .io(path: path, operation: operation, message: String(cString: strerror(errno)))
    }

    /// `lstat`, or nil when the path does not exist.
    public static func status(_ path: String) throws(PkgarError) -> Status? {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw failure(path, "lstat")
        }
        let kind: FileKind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        return Status(kind: kind, mode: UInt32(info.st_mode), size: UInt64(info.st_size))
    }

    /// The whole content of a regular file (refusing to follow a final symbolic link).
    public static func readFile(_ path: String) throws(PkgarError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw failure(path, "open") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "read")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Creates (exclusively) a file with `permissions` and writes `bytes`; fails if it exists.
    public static func createFile(_ path: String, bytes: [UInt8], permissions: UInt32) throws(PkgarError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(permissions & 0o7777))
        guard descriptor >= 0 else { throw failure(path, "create") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = failure(path, "write")
                close(descriptor)
                throw error
            }
            written += count
        }
        // The umask must not change what the package says.
        guard fchmod(descriptor, mode_t(permissions & 0o7777)) == 0 else {
            let error = failure(path, "chmod")
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw failure(path, "close") }
    }

    /// Writes `bytes` to `path` through a temporary file and a rename (replacing any old file).
    public static func writeFileAtomically(_ path: String, bytes: [UInt8], permissions: UInt32 = 0o644) throws(PkgarError) {
        let temporary = path + ".tmp.\(getpid())"
        _ = unlink(temporary)
        try createFile(temporary, bytes: bytes, permissions: permissions)
        try rename(temporary, to: path)
    }

    /// The target of a symbolic link, as bytes.
    public static func readLink(_ path: String) throws(PkgarError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return readlink(path, base.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard count >= 0 else { throw failure(path, "readlink") }
        return Array(buffer[0..<count])
    }

    /// Creates a symbolic link at `path` pointing to `target`.
    public static func createSymbolicLink(_ path: String, target: [UInt8]) throws(PkgarError) {
        let text = target.map { CChar(bitPattern: $0) } + [0]
        guard symlink(text, path) == 0 else { throw failure(path, "symlink") }
    }

    /// Names in a directory (without `.` and `..`), sorted by their bytes.
    public static func directoryEntries(_ path: String) throws(PkgarError) -> [String] {
        guard let directory = opendir(path) else { throw failure(path, "opendir") }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return names.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `mkdir` of one directory (an existing directory is fine).
    public static func makeDirectory(_ path: String, permissions: UInt32 = 0o755) throws(PkgarError) {
        if mkdir(path, mode_t(permissions)) != 0 {
            if errno == EEXIST, try status(path)?.kind == .directory { return }
            throw failure(path, "mkdir")
        }
    }

    /// `mkdir -p`, following existing links (for the caller's own folders, not for entries).
    public static func makeDirectories(_ path: String) throws(PkgarError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            if stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
            try makeDirectory(prefix)
        }
    }

    /// Atomic `rename`.
    public static func rename(_ source: String, to destination: String) throws(PkgarError) {
        guard Glibc.rename(source, destination) == 0 else { throw failure(source, "rename to \(destination)") }
    }

    /// Removes a file or link (missing is fine when `ignoringMissing`).
    public static func removeFile(_ path: String, ignoringMissing: Bool = true) throws(PkgarError) {
        if unlink(path) != 0 {
            if errno == ENOENT && ignoringMissing { return }
            throw failure(path, "unlink")
        }
    }

    /// Removes a tree (not following links).
    public static func removeTree(_ path: String) throws(PkgarError) {
        guard let info = try status(path) else { return }
        if info.kind == .directory {
            for name in try directoryEntries(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw failure(path, "rmdir") }
        } else {
            try removeFile(path)
        }
    }

    /// The value of an environment variable.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
