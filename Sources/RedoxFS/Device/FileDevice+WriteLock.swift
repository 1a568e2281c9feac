#if canImport(Glibc)
import Glibc
#endif
import RedoxFSFormat

/// The image write lock: an open-file-description write lock on a file system's first block.
extension FileDevice {
    /// F_OFD_GETLK of <fcntl.h> (a GNU name, so not in Swift's Glibc module): asks who holds a
    /// lock of an open file description, the same number on every architecture.
    static let openFileDescriptionGetLock: Int32 = 36

    /// F_OFD_SETLK of <fcntl.h> (a GNU name, so not in Swift's Glibc module): Linux's lock of an
    /// open file description, the same number on every architecture.
    static let openFileDescriptionSetLock: Int32 = 37

    /// Takes a write lock of the open file description `fd` on the file system's first block:
    /// min(`length`, 4096) bytes from `byteOffset` (none for an empty device), where its header
    /// ring starts (every writer of that file system names it, and partitions of one disk, or a
    /// tool given only an offset, do not conflict), so that a second writer of the same file
    /// system (another mount, a tool writing it) is refused instead of both allocating the same
    /// free blocks, which ruins every generation of the image. Readers take no lock. The kernel
    /// releases it when the descriptor closes (a crash included). Where the file system under
    /// the image has no such locks, the open goes on without one. Two device nodes of one disk
    /// (a partition's and the whole disk's, a loop device and its file) are different files to
    /// these locks.
    static func lockForWriting(_ fd: Int32, byteOffset: UInt64, length: UInt64, path: String) throws(FileSystemError) {
        let span = min(length, UInt64(RedoxFS.blockSize))
        guard span > 0 else { return }
        try setLock(F_WRLCK, fd, start: byteOffset, span: span, path: path, operation: "open for writing")
    }

    /// Locks (`type`: F_WRLCK or F_RDLCK) `span` bytes from `start` (0: to the end of the file,
    /// however long it grows) of the open file description of `fd`, as `lockForWriting`
    /// describes. Refused (another open file description holds a conflicting lock there): EBUSY,
    /// with a message saying `operation` on `path` was refused and why (a writer; a tool copying
    /// the file system, which holds a read lock on the whole file; or another program's read
    /// lock on some bytes, such as QEMU's on the disk images it runs).
    private static func setLock(
        _ type: Int32, _ fd: Int32, start: UInt64, span: UInt64, path: String, operation: String
    ) throws(FileSystemError) {
        guard start <= UInt64(Int64.max) - span else { return }
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(start)
        lock.l_len = off_t(span)
        guard fcntl(fd, openFileDescriptionSetLock, &lock) != 0 else { return }
        let code = errno
        switch code {
        case EAGAIN, EACCES:
            let holder: String
            // Only a write lock refuses a read lock: its holder is a writer.
            switch type == F_WRLCK ? conflictingReadLock(fd, start: start, span: span) : nil {
            case .wholeFile?:
                holder = span == 0
                    ? "a redoxfs tool is copying a file system in it; try again when it is done"
                    : "a redoxfs tool is copying this file system; try again when it is done"
            case .someBytes?:
                holder = "another program that has it open holds a lock on it (QEMU locks the disk images it runs); try again once that program is done with it"
            case nil:
                holder = span == 0
                    ? "a redoxfs mount or tool is writing a file system in it; unmount it first"
                    : "another redoxfs mount or tool is writing this file system; unmount it first"
            }
            throw .system(operation: "\(operation) (in use: \(holder))", path: path, errno: EBUSY)
        case EINVAL, ENOLCK, EOPNOTSUPP:
            return
        default:
            throw .system(operation: "lock", path: path, errno: code)
        }
    }

    /// A read lock another open file description holds: on the whole file (from byte 0 to the
    /// end, as a redoxfs tool copying the image takes it), or on some bytes only (QEMU takes
    /// read locks on single bytes from 100 and from 200 of the disk images it runs).
    private enum ReadLockHolder {
        case wholeFile
        case someBytes
    }

    /// The read lock of another open file description that conflicts with a write lock on
    /// `span` bytes from `start` of `fd`'s file (F_OFD_GETLK reports one of the conflicting
    /// locks, with its start and length); nil when that lock is a write lock, or none is found.
    private static func conflictingReadLock(_ fd: Int32, start: UInt64, span: UInt64) -> ReadLockHolder? {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(start)
        lock.l_len = off_t(span)
        guard fcntl(fd, openFileDescriptionGetLock, &lock) == 0, lock.l_type == Int16(F_RDLCK) else { return nil }
        return lock.l_start == 0 && lock.l_len == 0 ? .wholeFile : .someBytes
    }

    /// Takes the lock a writable `FileDevice` at `byteOffset` takes, on the open file description
    /// of `descriptor` (opened for writing), on one block (4096 bytes) from `byteOffset`, whatever
    /// the file's length: a tool that grows or cuts an image outside a `FileDevice` takes it
    /// first, so that a file system another process is writing is never resized under it
    /// (refused with EBUSY, the message naming `operation`, e.g. "grow"). It goes when that
    /// description's last descriptor closes. Does nothing where the file system under the file
    /// has no such locks (EINVAL, ENOLCK, EOPNOTSUPP).
    public static func lockForWriting(
        descriptor: Int32, byteOffset: UInt64, path: String, operation: String
    ) throws(FileSystemError) {
        try setLock(F_WRLCK, descriptor, start: byteOffset, span: UInt64(RedoxFS.blockSize), path: path, operation: operation)
    }

    /// Write-locks the whole file `descriptor` is open on (for writing; from byte 0 to the end,
    /// however long it grows), for a tool that replaces all of it: refused with EBUSY (the message
    /// naming `operation`, e.g. "replace") while any file system in it, at any offset, has a
    /// writer. On a `FileDevice`'s own `descriptor` it extends the device's lock (one open file
    /// description never conflicts with itself). Does nothing where the file system under the
    /// file has no such locks (EINVAL, ENOLCK, EOPNOTSUPP).
    public static func lockWholeFileForWriting(
        descriptor: Int32, path: String, operation: String
    ) throws(FileSystemError) {
        try setLock(F_WRLCK, descriptor, start: 0, span: 0, path: path, operation: operation)
    }

    /// Read-locks the whole file `descriptor` is open on (for reading), for a tool that copies it
    /// (an image given to the installer as input): refused with EBUSY (the message naming
    /// `operation`, e.g. "copy") while any file system in it, at any offset, has a writer, and
    /// while it is held every writer (a mount, a tool) is refused in turn, so the copy is never
    /// torn. Other readers, and other read locks, are not refused. It goes when that
    /// description's last descriptor closes. Does nothing where the file system under the file
    /// has no such locks (EINVAL, ENOLCK, EOPNOTSUPP).
    public static func lockWholeFileForReading(
        descriptor: Int32, path: String, operation: String
    ) throws(FileSystemError) {
        try setLock(F_RDLCK, descriptor, start: 0, span: 0, path: path, operation: operation)
    }

    /// Whether some other open file description (another mount or tool) holds the write lock on
    /// the block at `byteOffset` of the file `descriptor` is open on (F_OFD_GETLK; any access
    /// mode); false where the file system under the image has no such locks.
    public static func isLockedForWriting(descriptor: Int32, byteOffset: UInt64) -> Bool {
        let span = UInt64(RedoxFS.blockSize)
        guard byteOffset <= UInt64(Int64.max) - span else { return false }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(byteOffset)
        lock.l_len = off_t(span)
        guard fcntl(descriptor, openFileDescriptionGetLock, &lock) == 0 else { return false }
        return lock.l_type == Int16(F_WRLCK)
    }
}
