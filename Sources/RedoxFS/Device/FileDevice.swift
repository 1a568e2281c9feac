#if canImport(Glibc)
import Glibc
#endif
import RedoxFSFormat

/// An image file or block device, optionally starting at a byte offset (a partition).
public struct FileDevice: StorageDevice {
    /// The underlying descriptor, shared by copies of this value and closed by `close()`.
    public let descriptor: Int32
    /// Byte offset of device block 0 within the file.
    public let byteOffset: UInt64
    public let blockCount: UInt64
    public let isReadOnly: Bool
    public let path: String

    /// Opens `path`; `byteLength` limits the device (default: to the end of the file).
    public static func open(
        path: String, readOnly: Bool, byteOffset: UInt64 = 0, byteLength: UInt64? = nil
    ) throws(FileSystemError) -> FileDevice {
        let fd = Glibc.open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            let code = errno
            Glibc.close(fd)
            throw .system(operation: "seek", path: path, errno: code)
        }
        let total = UInt64(end)
        guard byteOffset <= total else {
            Glibc.close(fd)
            throw .invalidArgument("offset \(byteOffset) lies past the end of \(path) (\(total) bytes)")
        }
        let length = min(byteLength ?? (total - byteOffset), total - byteOffset)
        return FileDevice(
            descriptor: fd, byteOffset: byteOffset, blockCount: length / UInt64(RedoxFS.blockSize),
            isReadOnly: readOnly, path: path)
    }

    private init(descriptor: Int32, byteOffset: UInt64, blockCount: UInt64, isReadOnly: Bool, path: String) {
        self.descriptor = descriptor
        self.byteOffset = byteOffset
        self.blockCount = blockCount
        self.isReadOnly = isReadOnly
        self.path = path
    }

    public func close() { Glibc.close(descriptor) }

    public mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let blocks = UInt64(buffer.count / RedoxFS.blockSize)
        guard index < blockCount, blockCount - index >= blocks else { throw .io(block: index, code: EIO) }
        var done = 0
        while done < buffer.count {
            let offset = off_t(byteOffset + index * UInt64(RedoxFS.blockSize) + UInt64(done))
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(block: index, code: errno)
            }
            if n == 0 { throw .io(block: index, code: EIO) }
            done += n
        }
    }

    public mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        let blocks = UInt64(buffer.count / RedoxFS.blockSize)
        guard !isReadOnly else { throw .io(block: index, code: EROFS) }
        guard index < blockCount, blockCount - index >= blocks else { throw .io(block: index, code: ENOSPC) }
        var done = 0
        while done < buffer.count {
            let offset = off_t(byteOffset + index * UInt64(RedoxFS.blockSize) + UInt64(done))
            let n = pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(block: index, code: errno)
            }
            done += n
        }
    }

    public mutating func flush() throws(FormatError) {
        guard !isReadOnly else { return }
        if fdatasync(descriptor) != 0 { throw .io(block: 0, code: errno) }
    }
}
