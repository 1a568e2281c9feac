#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// The image file or block device a tool writes: checking, creating, growing and cutting it.
/// As upstream, a tool works on an existing file whose length is the disk size; `--size` creates
/// or grows the file first.
public enum DiskFile {
    /// Opens `path` for a tool that replaces the file system in it (mkfs, ar, clone): a writable
    /// `FileDevice` on the whole file. With `size`, creates it (mode 0644) or grows a shorter
    /// regular file to `size` bytes (sparse) first; a longer file or a block device is left as it
    /// is. The image write lock is taken on the whole file before anything changes and kept by
    /// the device, so that no other writer can start between the growth and the device's open:
    /// refused with EBUSY, the file untouched, while a file system anywhere in it has a writer.
    /// A missing file without `size` is an error that says how to create it (worded to follow
    /// the path, as `FileSystemError.message(about:)` puts it); with `size`, one that cannot be
    /// created (its folder is missing) is the open's system error.
    public static func prepare(_ path: String, size: UInt64?) throws(FileSystemError) -> FileDevice {
        let fd: Int32
        do throws(FileSystemError) {
            fd = try FileDevice.openImageDescriptor(path, flags: O_RDWR | (size == nil ? 0 : O_CREAT))
        } catch .system("open", _, ENOENT) where size == nil {
            // Without a size there was nothing to create it with; with one, the folder is missing.
            throw .invalidArgument("does not exist: create it first (e.g. truncate -s 64M \(path)) or pass --size")
        }
        return try openLocked(fd, path: path, growingTo: size, byteOffset: 0, wholeFile: true)
    }

    /// Grows the regular file `path` to `size` bytes (sparse) when it is shorter (a longer file or
    /// a block device is left as it is) and opens it as a writable `FileDevice` at `byteOffset`.
    /// The image write lock on the block at `byteOffset` is taken before the growth and kept by
    /// the device: a file system a mount or another tool is writing there is refused with EBUSY,
    /// the file untouched, and no writer can start between the growth and the open.
    public static func grow(_ path: String, to size: UInt64, byteOffset: UInt64) throws(FileSystemError) -> FileDevice {
        let fd = try FileDevice.openImageDescriptor(path, flags: O_RDWR)
        return try openLocked(fd, path: path, growingTo: size, byteOffset: byteOffset, wholeFile: false)
    }

    /// Locks `fd` (whole file, or the block at `byteOffset`), grows a shorter regular file to
    /// `size`, and hands `fd` over to a writable `FileDevice` at `byteOffset` (closed when this
    /// throws).
    private static func openLocked(
        _ fd: Int32, path: String, growingTo size: UInt64?, byteOffset: UInt64, wholeFile: Bool
    ) throws(FileSystemError) -> FileDevice {
        do throws(FileSystemError) {
            if wholeFile {
                try FileDevice.lockWholeFileForWriting(descriptor: fd, path: path, operation: "replace")
            } else {
                try FileDevice.lockForWriting(descriptor: fd, byteOffset: byteOffset, path: path, operation: "grow")
            }
            var status = stat()
            guard fstat(fd, &status) == 0 else { throw .system(operation: "stat", path: path, errno: errno) }
            if let size, status.st_mode & S_IFMT == S_IFREG, UInt64(status.st_size) < size {
                guard ftruncate(fd, off_t(size)) == 0 else { throw .system(operation: "resize", path: path, errno: errno) }
            }
        } catch {
            close(fd)
            throw error
        }
        return try FileDevice.open(adopting: fd, path: path, readOnly: false, byteOffset: byteOffset)
    }

    /// Whether `path` is a regular file (not a block device).
    public static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    /// The length of `path` in bytes (a block device's size too).
    public static func length(_ path: String) throws(FileSystemError) -> UInt64 {
        let fd = try FileDevice.openImageDescriptor(path, flags: O_RDONLY)
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
        return HostInode(status)
    }
}
