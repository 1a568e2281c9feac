// A disk scheme entry (`/scheme/disk.…/N` or `NpM`, kernel.md §4.3) seen as the format core's
// `BlockDevice`: 4096-byte blocks from the start of the disk or partition, read with positioned
// READ2 in pieces the kernel carries in one request.

import RedoxFSFormat
import RedoxRuntime

struct SchemeDisk: BlockDevice {
    /// The open handle of the disk or partition.
    let fd: Int
    /// 4096-byte blocks it holds (from fstat).
    let blockCount: UInt64
    /// Its path, for messages.
    let path: [UInt8]

    /// The kernel carries at most 1 MiB per request.
    static let pieceBytes = 1 << 20

    /// Opens `path`; nil when it cannot be opened or has no size.
    init?(path: [UInt8]) {
        let fd = Sys.open(path, flags: OpenFlags.readWrite)
        guard fd >= 0 else { return nil }
        let (result, _, size) = Sys.fstat(fd)
        guard result >= 0, size >= UInt64(RedoxFS.blockSize) else {
            _ = Sys.close(fd)
            return nil
        }
        self.fd = fd
        self.path = path
        blockCount = size / UInt64(RedoxFS.blockSize)
    }

    func close() { _ = Sys.close(fd) }

    /// Writes whole blocks at `index` (positioned WRITE2, in pieces of at most 1 MiB).
    mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        let count = UInt64(buffer.count / RedoxFS.blockSize)
        guard index <= blockCount, count <= blockCount - index else { throw .io(block: index, code: Int32(Errno.EINVAL)) }
        var done = 0
        while done < buffer.count {
            let piece = min(Self.pieceBytes, buffer.count - done)
            let source = UnsafeRawBufferPointer(rebasing: buffer[done..<done + piece])
            let put = Sys.write(fd, source, offset: index * UInt64(RedoxFS.blockSize) + UInt64(done))
            guard put == piece else {
                throw .io(block: index + UInt64(done / RedoxFS.blockSize), code: Int32(put < 0 ? -put : Errno.EIO))
            }
            done += piece
        }
    }

    /// FSYNC on the disk handle: the driver answers once its writes are on the device.
    mutating func flush() throws(FormatError) {
        let result = Sys.fsync(fd)
        if result < 0 { throw .io(block: 0, code: Int32(-result)) }
    }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let count = UInt64(buffer.count / RedoxFS.blockSize)
        guard index <= blockCount, count <= blockCount - index else { throw .io(block: index, code: Int32(Errno.EINVAL)) }
        var done = 0
        while done < buffer.count {
            let piece = min(Self.pieceBytes, buffer.count - done)
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + piece])
            let got = Sys.read(fd, target, offset: index * UInt64(RedoxFS.blockSize) + UInt64(done))
            guard got == piece else {
                throw .io(block: index + UInt64(done / RedoxFS.blockSize), code: Int32(got < 0 ? -got : Errno.EIO))
            }
            done += piece
        }
    }
}
