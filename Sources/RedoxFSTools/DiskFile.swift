#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// The image file or block device a tool writes: checking, creating, growing and cutting it.
/// As upstream, a tool works on an existing file whose length is the disk size; `--size` creates
/// or grows the file first.
public enum DiskFile {
    /// Makes sure `path` exists. With `size`, creates it (mode 0644) or grows a shorter regular
    /// file to `size` bytes (sparse); a longer file or a block device is left as it is. The image
    /// write lock is taken first (`grow(_:to:lockingAt:creating:)`): on the whole file with
    /// `wholeFile` (a tool that replaces all of it: refused while a file system anywhere in it
    /// has a writer), else on the first block.
    public static func prepare(_ path: String, size: UInt64?, wholeFile: Bool) throws(FileSystemError) {
        guard let size else {
            var status = stat()
            guard stat(path, &status) == 0 else {
                let code = errno
                if code == ENOENT {
                    throw .invalidArgument("\(path) does not exist: create it first (e.g. truncate -s 64M \(path)) or pass --size")
                }
                throw .system(operation: "stat", path: path, errno: code)
            }
            return
        }
        try grow(path, to: size, lockingAt: wholeFile ? nil : 0, creating: true)
    }

    /// Grows the regular file `path` to `size` bytes (sparse) when it is shorter (a longer file or
    /// a block device is left as it is), holding the image write lock on the block at
    /// `byteOffset` (`FileDevice.lockForWriting(descriptor:byteOffset:path:operation:)`), or with
    /// nil on the whole file (`FileDevice.lockWholeFileForWriting(descriptor:path:operation:)`),
    /// while it does: a file system a mount or another tool is writing there is refused with
    /// EBUSY, the file untouched. `creating` makes a missing file (mode 0644).
    public static func grow(_ path: String, to size: UInt64, lockingAt byteOffset: UInt64?, creating: Bool = false) throws(FileSystemError) {
        let fd = open(path, O_RDWR | O_CLOEXEC | (creating ? O_CREAT : 0), 0o644)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        if let byteOffset {
            try FileDevice.lockForWriting(descriptor: fd, byteOffset: byteOffset, path: path, operation: "grow")
        } else {
            try FileDevice.lockWholeFileForWriting(descriptor: fd, path: path, operation: "replace")
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .system(operation: "stat", path: path, errno: errno) }
        if status.st_mode & S_IFMT == S_IFREG, UInt64(status.st_size) < size {
            guard ftruncate(fd, off_t(size)) == 0 else { throw .system(operation: "resize", path: path, errno: errno) }
        }
    }

    /// Whether `path` is a regular file (not a block device).
    public static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    /// The length of `path` in bytes (a block device's size too).
    public static func length(_ path: String) throws(FileSystemError) -> UInt64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw .system(operation: "seek", path: path, errno: errno) }
        return UInt64(end)
    }

    /// Sets the length of the regular file `path` (growing is sparse), for a tool that holds the
    /// image write lock of the file system in it (its `FileDevice` is still open).
    public static func setLength(_ path: String, _ length: UInt64) throws(FileSystemError) {
        guard truncate(path, off_t(length)) == 0 else { throw .system(operation: "resize", path: path, errno: errno) }
    }

    /// The whole content of `path` (a bootloader or a password file).
    public static func read(_ path: String) throws(FileSystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// The host inode of `path`, when it exists.
    public static func inode(_ path: String) -> HostInode? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return HostInode(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}
