#if canImport(Glibc)
import Glibc
#endif

/// The installer's output: an image file (made when missing) or a block device.
public struct OutputTarget {
    public enum Kind: Equatable { case newImage, existingImage, blockDevice }
    public let path: String
    public let kind: Kind
    /// Bytes (for a new image: the size it will get).
    public let size: UInt64

    public static let minimumBytes: UInt64 = 32 << 20

    /// Looks at `path`; `filesystemSizeMiB` sizes a new image.
    public init(path: String, filesystemSizeMiB: UInt32?) throws(InstallerError) {
        self.path = path
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw .host(operation: "stat", path: path, errno: errno) }
            let mib = UInt64(filesystemSizeMiB ?? 0)
            guard mib >= 32 else {
                throw .imageTooSmall("Refusing to create image disk less than 32 MB (filesystem_size is \(mib) MiB; set general.filesystem_size)")
            }
            kind = .newImage
            size = mib << 20
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            kind = .existingImage
            size = UInt64(info.st_size)
        case S_IFBLK:
            kind = .blockDevice
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .host(operation: "open", path: path, errno: errno) }
            defer { close(fd) }
            let end = lseek(fd, 0, SEEK_END)
            guard end >= 0 else { throw .host(operation: "seek", path: path, errno: errno) }
            size = UInt64(end)
        case S_IFDIR:
            throw .unsafeTarget("\(path) is a directory; installing into a directory is not supported (give an image file or a block device)")
        default:
            throw .unsafeTarget("\(path) is neither an image file nor a block device")
        }
        guard size >= Self.minimumBytes else {
            throw .imageTooSmall("Refusing to install onto \(path): it has \(size >> 20) MiB, at least 32 MiB are needed")
        }
    }

    /// Opens the output for writing (creating and sizing a new image).
    func open() throws(InstallerError) -> Int32 {
        let flags = O_RDWR | O_CLOEXEC | (kind == .newImage ? O_CREAT | O_EXCL : 0)
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw .host(operation: "open", path: path, errno: errno) }
        if kind == .newImage, ftruncate(fd, off_t(size)) != 0 {
            let code = errno
            removeNewImage(fd)
            Glibc.close(fd)
            throw .host(operation: "resize", path: path, errno: code)
        }
        return fd
    }

    /// Removes the new image `open()` made (`fd`) after a failed installation, only while `path`
    /// still names that file (`HostFiles.removeNewFile(_:openAs:)`): a file put there meanwhile by
    /// someone else stays. An existing image or a block device is never removed.
    func removeNewImage(_ fd: Int32) {
        guard kind == .newImage else { return }
        HostFiles.removeNewFile(path, openAs: fd)
    }
}

/// Positioned writes to the output, and reads of it or of an input being copied.
struct OutputWriter {
    let fd: Int32
    let path: String

    func write(_ bytes: [UInt8], at offset: UInt64) throws(InstallerError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .host(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    /// Exactly `count` bytes from `offset` (short reads continued, EINTR retried); a file that
    /// ends before them is an error, never a partly filled buffer.
    func read(_ count: Int, at offset: UInt64) throws(InstallerError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .host(operation: "read", path: path, errno: errno)
            }
            if n == 0 {
                throw .other("\(path): read failed: the file ends at byte \(offset + UInt64(done)), before the \(count) bytes from byte \(offset) were read (did it change meanwhile?)")
            }
            done += n
        }
        return bytes
    }
}
