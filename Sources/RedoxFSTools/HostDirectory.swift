#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Linux constants that Glibc's Swift module leaves out (they need _GNU_SOURCE).
enum HostSeek {
    /// `SEEK_DATA`: the next offset holding data.
    static let data: Int32 = 3
    /// `SEEK_HOLE`: the next hole (or the end of the file).
    static let hole: Int32 = 4
    /// `O_NOATIME`: reading does not update the access time (owner or root only).
    static let noAccessTime: Int32 = 0o1000000

    /// Calls `open` with `flags` and `O_NOATIME`, so that reading or listing the source does not
    /// move its access times (which ar copies into the image), and again without it when that is
    /// refused (EPERM: `O_NOATIME` needs the file's owner or CAP_FOWNER).
    static func openWithoutAccessTime(_ flags: Int32, _ open: (Int32) -> Int32) -> Int32 {
        let fd = open(flags | noAccessTime)
        if fd < 0 && errno == EPERM { return open(flags) }
        return fd
    }
}

/// A host inode: device and inode number (hard links share it).
public struct HostInode: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The inode a `stat`/`fstat` result describes.
    public init(_ status: stat) {
        self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}

/// What `lstat` says about a host path, reduced to what the archiver stores.
public struct HostStatus: Sendable {
    /// The kind of a host file.
    public enum Kind: Sendable {
        case directory, regular, symlink, socket, fifo, characterDevice, blockDevice, unknown
    }

    public var kind: Kind
    /// The low 12 bits of the mode (permissions, setuid, setgid, sticky).
    public var permissions: UInt16
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var linkCount: UInt64
    public var inode: HostInode
    public var accessTime: Timestamp
    public var modificationTime: Timestamp
    public var changeTime: Timestamp
    /// The device number of a character or block device (`st_rdev`).
    public var device: DeviceNumber

    init(_ status: stat) {
        switch status.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .regular
        case S_IFLNK: kind = .symlink
        case S_IFSOCK: kind = .socket
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .unknown
        }
        permissions = UInt16(status.st_mode & 0o7777)
        uid = status.st_uid
        gid = status.st_gid
        size = UInt64(max(0, status.st_size))
        linkCount = UInt64(status.st_nlink)
        inode = HostInode(status)
        accessTime = Self.timestamp(status.st_atim)
        modificationTime = Self.timestamp(status.st_mtim)
        changeTime = Self.timestamp(status.st_ctim)
        device = DeviceNumber(linuxValue: UInt64(status.st_rdev))
    }

    static func timestamp(_ time: timespec) -> Timestamp {
        Timestamp(seconds: UInt64(max(0, time.tv_sec)), nanoseconds: UInt32(max(0, time.tv_nsec)))
    }

    /// `lstat` of `path`.
    public static func of(_ path: String) throws(ArchiveError) -> HostStatus {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw .host(operation: "stat", path: path, errno: errno) }
        return HostStatus(status)
    }
}

/// An open host directory: lists and opens its entries by name relative to its descriptor, so
/// that deep trees need no long path strings. `path` is kept for messages.
final class HostDirectory {
    let descriptor: Int32
    let path: String

    /// Opens the directory `path` (listing it does not move its access time, where allowed).
    init(path: String) throws(ArchiveError) {
        let fd = HostSeek.openWithoutAccessTime(O_RDONLY | O_DIRECTORY | O_CLOEXEC) { open(path, $0) }
        guard fd >= 0 else { throw .host(operation: "open", path: path, errno: errno) }
        descriptor = fd
        self.path = path
    }

    /// Opens the subdirectory `name` of `parent` (never following a symbolic link).
    init(in parent: HostDirectory, name: [UInt8]) throws(ArchiveError) {
        let path = parent.path(of: name)
        let fd = HostName.withCString(name) { name in
            HostSeek.openWithoutAccessTime(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) { openat(parent.descriptor, name, $0) }
        }
        guard fd >= 0 else { throw .host(operation: "open", path: path, errno: errno) }
        descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }

    /// The path of entry `name`, for messages.
    func path(of name: [UInt8]) -> String {
        (path.hasSuffix("/") ? path : path + "/") + HostName.display(name)
    }

    /// The entry names ("." and ".." left out), sorted by their bytes so that images are reproducible.
    func names() throws(ArchiveError) -> [[UInt8]] {
        let copy = dup(descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            let code = errno
            if copy >= 0 { close(copy) }
            throw .host(operation: "list", path: path, errno: code)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw .host(operation: "list", path: path, errno: errno) }
                break
            }
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let end = raw.firstIndex(of: 0) ?? raw.count
                return Array(raw[0..<end])
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return names
    }

    /// `lstat` of entry `name`.
    func status(of name: [UInt8]) throws(ArchiveError) -> HostStatus {
        var status = stat()
        let result = HostName.withCString(name) { fstatat(descriptor, $0, &status, AT_SYMLINK_NOFOLLOW) }
        guard result == 0 else { throw .host(operation: "stat", path: path(of: name), errno: errno) }
        return HostStatus(status)
    }

    /// The target of the symbolic link `name`.
    func linkTarget(of name: [UInt8]) throws(ArchiveError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = HostName.withCString(name) { cName in
            buffer.withUnsafeMutableBufferPointer { out in
                out.withMemoryRebound(to: CChar.self) { chars -> Int in
                    guard let base = chars.baseAddress else { return -1 }
                    return readlinkat(descriptor, cName, base, chars.count)
                }
            }
        }
        guard count >= 0 else { throw .host(operation: "readlink", path: path(of: name), errno: errno) }
        return Array(buffer[0..<count])
    }

    /// Opens the regular file `name` for reading (without updating its access time when allowed).
    func openFile(_ name: [UInt8]) throws(ArchiveError) -> Int32 {
        let fd = HostName.withCString(name) { name in
            HostSeek.openWithoutAccessTime(O_RDONLY | O_NOFOLLOW | O_CLOEXEC) { openat(descriptor, name, $0) }
        }
        guard fd >= 0 else { throw .host(operation: "open", path: path(of: name), errno: errno) }
        return fd
    }
}
