#if canImport(Glibc)
import Glibc
#endif

extension FileDevice {
    /// Opens `path` with `flags` (O_CLOEXEC added; `mode` for a file O_CREAT makes) as a disk
    /// image or block device. The open itself does not block: a FIFO would wait there for a
    /// reader or writer forever (and a tool blocked in it ignores SIGTERM until then). What cannot
    /// hold a file system (a FIFO, a socket, a directory) is refused with an error saying so; the
    /// descriptor returned blocks as usual.
    public static func openImageDescriptor(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(FileSystemError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC | O_NONBLOCK, mode)
        guard fd >= 0 else {
            let code = errno
            // A write-only open of a FIFO that no one reads fails with ENXIO when it may not wait.
            var status = stat()
            if code == ENXIO, stat(path, &status) == 0, let kind = unusableKind(status.st_mode) {
                throw .invalidArgument("\(kind), not an image file or a block device")
            }
            throw .system(operation: "open", path: path, errno: code)
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .system(operation: "stat", path: path, errno: code)
        }
        if let kind = unusableKind(status.st_mode) {
            Glibc.close(fd)
            throw .invalidArgument("\(kind), not an image file or a block device")
        }
        let current = fcntl(fd, F_GETFL)
        if current >= 0 { _ = fcntl(fd, F_SETFL, current & ~O_NONBLOCK) }
        return fd
    }

    /// What a file of `mode` is when it cannot hold a file system; nil for a regular file or a
    /// device.
    private static func unusableKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a directory"
        default: return nil
        }
    }
}
