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

    /// Waits until no open file description holds a lock on any byte of `path` (F_OFD_GETLK of a
    /// whole-file write lock reports none), trying up to 12,000 times 5 ms apart (a hang guard of a
    /// minute: a busy machine may keep a child from its exec that long); returns whether it is
    /// free. A lock this process let go can stay held a moment longer: a child another test is
    /// starting at that time holds a copy of this process's descriptors from its clone until its
    /// exec closes them (posix_spawn does not share the descriptor table), and with them the open
    /// file description the lock belongs to. A lock that is really left held is still reported
    /// (false). Where the file system has no such locks, or `path` cannot be opened: true.
    @discardableResult
    public static func waitUntilUnlocked(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        for _ in 0..<12_000 {
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            lock.l_start = 0
            lock.l_len = 0
            // F_OFD_GETLK (36): a GNU name, not in Swift's Glibc module.
            guard fcntl(fd, 36, &lock) == 0 else { return true }
            if lock.l_type == Int16(F_UNLCK) { return true }
            usleep(5000)
        }
        return false
    }
}
