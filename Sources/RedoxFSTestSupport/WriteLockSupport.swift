#if canImport(Glibc)
import Glibc
#endif

/// Whether the image write lock (an open-file-description lock, `FileDevice.lockForWriting`) works
/// for files in a folder: where the file system refuses such locks the lock does nothing, and the
/// tests of it skip instead of failing.
public enum WriteLockSupport {
    /// Why the probe could not be made (no file could be created under the folder).
    public struct ProbeError: Error, CustomStringConvertible {
        public let folder: String
        public let errno: Int32
        public var description: String {
            "cannot create a lock probe under \(folder): \(String(cString: strerror(errno)))"
        }
    }

    /// Whether a new file under `folder` takes an open-file-description write lock; false only
    /// where locking is refused with EINVAL, ENOLCK or EOPNOTSUPP (the lock then does nothing).
    /// Throws when no file can be made there, so that a suite conditioned on it fails instead of
    /// skipping silently.
    public static func available(under folder: String = "/var/tmp") throws -> Bool {
        var template = Array("\(folder)/redoxfs-lock-probe-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw ProbeError(folder: folder, errno: errno) }
        template.withUnsafeBufferPointer { buffer in if let name = buffer.baseAddress { _ = unlink(name) } }
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
