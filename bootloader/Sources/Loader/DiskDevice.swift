import RedoxFSFormat

/// A Block I/O handle seen as a RedoxFS `BlockDevice` (4096-byte blocks from the start of the
/// disk or partition). Buffers that break the device's alignment rule go through a bounce buffer.
struct DiskDevice: BlockDevice {
    let handle: UInt64
    let io: BlockIO
    /// Device blocks (LBAs) per 4096-byte block.
    private let sectorsPerBlock: UInt64
    /// 4096-byte blocks on the device.
    let blockCount: UInt64
    private var bounce: UnsafeMutableRawBufferPointer?
    /// Live mode: the volume's copy in memory and the device block it starts at; reads inside it
    /// are served from memory.
    private var memoryCopy: UnsafeRawBufferPointer?
    private var memoryFirstBlock: UInt64 = 0

    private static let blockSize = RedoxFS.blockSize
    private static let bounceSize = 128 * 1024

    /// The device on `handle`, or nil when it has no Block I/O, no media, or a block size that
    /// does not divide 4096.
    init?(handle: UInt64, bootServices: BootServices) {
        guard let interface = bootServices.interface(.blockIO, on: handle) else { return nil }
        io = BlockIO(table: FirmwareTable(interface))
        guard io.isMediaPresent, io.blockSize > 0, Self.blockSize % io.blockSize == 0 else { return nil }
        self.handle = handle
        sectorsPerBlock = UInt64(Self.blockSize / io.blockSize)
        blockCount = (io.lastBlock + 1) / sectorsPerBlock
    }

    /// Whether this is a partition (searched at block 0) rather than a whole disk (at 2 MiB).
    var isPartition: Bool { io.isLogicalPartition }

    /// From now on, blocks `firstBlock ..< firstBlock + copy.count / 4096` come from `copy`.
    mutating func serveFromMemory(_ copy: UnsafeRawBufferPointer, firstBlock: UInt64) {
        memoryCopy = copy
        memoryFirstBlock = firstBlock
    }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        if let copy = memoryCopy, index >= memoryFirstBlock {
            let start = (index - memoryFirstBlock) * UInt64(Self.blockSize)
            guard start <= UInt64(copy.count), UInt64(buffer.count) <= UInt64(copy.count) - start else {
                throw .io(block: index, code: 0)
            }
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: copy[Int(start)..<Int(start) + buffer.count]))
            return
        }
        let count = UInt64(buffer.count / Self.blockSize)
        guard index <= blockCount, count <= blockCount - index else { throw .io(block: index, code: 0) }
        let alignment = max(io.ioAlign, 1)
        if UInt(bitPattern: buffer.baseAddress) % UInt(alignment) == 0 {
            try read(lba: index * sectorsPerBlock, into: buffer, block: index)
            return
        }
        if bounce == nil {
            bounce = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bounceSize, alignment: max(alignment, 4096))
        }
        var done = 0
        while done < buffer.count {
            let chunk = min(Self.bounceSize, buffer.count - done)
            let block = index + UInt64(done / Self.blockSize)
            let part = UnsafeMutableRawBufferPointer(rebasing: bounce![0..<chunk])
            try read(lba: block * sectorsPerBlock, into: part, block: block)
            UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + chunk]).copyMemory(from: UnsafeRawBufferPointer(part))
            done += chunk
        }
    }

    private func read(lba: UInt64, into buffer: UnsafeMutableRawBufferPointer, block: UInt64) throws(FormatError) {
        let status = io.read(lba: lba, into: buffer)
        if status.isError { throw .io(block: block, code: Int32(truncatingIfNeeded: status.rawValue & 0xFFFF)) }
    }
}
