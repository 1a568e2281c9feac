#if canImport(Glibc)
import Glibc
#endif

/// Whether the image write lock (an open-file-description lock, `FileDevice.lockForWriting`) works
/// for files in a folder: where the file system refuses such locks the lock does nothing, and the
/// tests of it skip instead of failing.
public enum WriteLockSupport {
    /// Whether a new file under `folder` takes an open-file-description write lock; false where
    /// locking is refused with EINVAL, ENOLCK or EOPNOTSUPP (or no file can be made there).
    public static func available(under folder: String = "/var/tmp") -> Bool {
        var template = Array("\(folder)/redoxfs-lock-probe-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return false }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 4096
        // F_OFD_SETLK (37): a GNU name, not in Swift's Glibc module.
        if fcntl(fd, 37, &lock) == 0 { return true }
        let code = errno
        return code != EINVAL && code != ENOLCK && code != EOPNOTSUPP
    }
}
