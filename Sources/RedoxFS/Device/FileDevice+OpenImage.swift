#if canImport(Glibc)
import Glibc
#endif

extension FileDevice {
    /// Opens `path` with `flags` (O_CLOEXEC added; `mode` for a file O_CREAT makes) as a disk
    /// image or block device. What cannot hold a file system (a FIFO, whose open would wait for
    /// its other end forever, a socket, a directory) is refused with an error saying so, before
    /// anything opens it: the path is looked at through an O_PATH descriptor (which opens no
    /// FIFO or device and breaks no lease), and the file found there, the very same one, is then
    /// opened through /proc/self/fd with `flags`, blocking as usual.
    public static func openImageDescriptor(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(FileSystemError) -> Int32 {
        let probe = Glibc.open(path, pathOnlyFlag | O_CLOEXEC)
        guard probe >= 0 else {
            let code = errno
            if code == ENOENT && flags & O_CREAT != 0 {
                // Nothing there yet: made here, so a new regular file.
                let fd = Glibc.open(path, flags | O_CLOEXEC | O_EXCL, mode)
                if fd >= 0 { return fd }
                if errno != EEXIST { throw .system(operation: "open", path: path, errno: errno) }
                // Made by someone else meanwhile: looked at like any existing file.
                return try openImageDescriptor(path, flags: flags & ~O_CREAT, mode: mode)
            }
            throw .system(operation: "open", path: path, errno: code)
        }
        defer { Glibc.close(probe) }
        var status = stat()
        guard fstat(probe, &status) == 0 else { throw .system(operation: "stat", path: path, errno: errno) }
        if let kind = unusableKind(status.st_mode) {
            throw .invalidArgument("\(kind), not an image file or a block device")
        }
        var fd = Glibc.open("/proc/self/fd/\(probe)", (flags & ~O_CREAT) | O_CLOEXEC)
        if fd < 0 && errno == ENOENT {
            // No /proc here: the path again (what it names was checked a moment ago).
            fd = Glibc.open(path, (flags & ~O_CREAT) | O_CLOEXEC)
        }
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        return fd
    }

    /// O_PATH of <fcntl.h> (a GNU name, not in Swift's Glibc module; the same value on x86-64
    /// and AArch64).
    private static let pathOnlyFlag: Int32 = 0o10000000

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
