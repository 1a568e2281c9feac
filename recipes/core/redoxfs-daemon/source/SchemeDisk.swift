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
        try inPieces(at: index, byteCount: buffer.count) { done, piece, offset in
            Sys.write(fd, UnsafeRawBufferPointer(rebasing: buffer[done..<done + piece]), offset: offset)
        }
    }

    /// FSYNC on the disk handle: the driver answers once its writes are on the device.
    mutating func flush() throws(FormatError) {
        let result = Sys.fsync(fd)
        if result < 0 { throw .io(block: 0, code: Int32(-result)) }
    }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try inPieces(at: index, byteCount: buffer.count) { done, piece, offset in
            Sys.read(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + piece]), offset: offset)
        }
    }

    /// Moves `byteCount` bytes of whole blocks from block `index` in pieces of at most
    /// `pieceBytes`: `transfer(done, piece, diskOffset)` moves one piece and returns the bytes
    /// moved or −errno; a short piece fails with the block it started at.
    private func inPieces(
        at index: UInt64, byteCount: Int, _ transfer: (_ done: Int, _ piece: Int, _ offset: UInt64) -> Int
    ) throws(FormatError) {
        let count = UInt64(byteCount / RedoxFS.blockSize)
        guard index <= blockCount, count <= blockCount - index else { throw .io(block: index, code: Int32(Errno.EINVAL)) }
        var done = 0
        while done < byteCount {
            let piece = min(Self.pieceBytes, byteCount - done)
            let moved = transfer(done, piece, index * UInt64(RedoxFS.blockSize) + UInt64(done))
            guard moved == piece else {
                throw .io(block: index + UInt64(done / RedoxFS.blockSize), code: Int32(moved < 0 ? -moved : Errno.EIO))
            }
            done += piece
        }
    }
}
