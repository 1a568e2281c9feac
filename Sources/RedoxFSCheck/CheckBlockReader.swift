import RedoxFS

/// The checker's `BlockReader`: the format's verified read (`readVerifiedBlock`) straight from the
/// device, with no cache (the checker reads each block once), counting the blocks it reads.
struct CheckBlockReader: BlockReader {
    /// The device, counting what is read from it.
    private var device: CountingDevice
    /// Device block of ring slot 0.
    let startBlock: UInt64
    /// Blocks in the file system according to the header in use.
    let blockCount: UInt64
    let cipher: OpenSSLXTS?

    init(device: any StorageDevice, startBlock: UInt64, blockCount: UInt64, cipher: OpenSSLXTS?) {
        self.device = CountingDevice(base: device)
        self.startBlock = startBlock
        self.blockCount = blockCount
        self.cipher = cipher
    }

    /// Number of 4096-byte blocks read so far.
    var blocksRead: UInt64 { device.blocksRead }

    /// Blocks of the file system that the device actually holds.
    var readableBlocks: UInt64 {
        device.blockCount > startBlock ? min(blockCount, device.blockCount - startBlock) : 0
    }

    mutating func read(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8] {
        try readVerifiedBlock(pointer, as: structure, from: &device, startBlock: startBlock, blockCount: blockCount, cipher: cipher)
    }

    /// Reads `count` blocks at file-system block `index` as stored (the scrub's media check).
    mutating func readRaw(at index: UInt64, count: Int) throws(FormatError) -> [UInt8] {
        try device.readBlocks(at: startBlock + index, count: count)
    }
}

/// A device that counts the blocks read through it.
private struct CountingDevice: BlockDevice {
    var base: any StorageDevice
    var blocksRead: UInt64 = 0

    var blockCount: UInt64 { base.blockCount }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        blocksRead += UInt64(buffer.count / RedoxFS.blockSize)
        try base.readBlocks(at: index, into: buffer)
    }
}
