import RedoxFS

/// The checker's `BlockReader`: straight from the device (no cache: the checker reads each block
/// once), decrypted when the file system is encrypted, verified against the pointer's hash.
struct CheckBlockReader: BlockReader {
    var device: any StorageDevice
    /// Device block of ring slot 0.
    let startBlock: UInt64
    /// Blocks in the file system according to the header in use.
    let blockCount: UInt64
    let cipher: OpenSSLXTS?
    /// Number of 4096-byte blocks read so far.
    private(set) var blocksRead: UInt64 = 0
    init(device: any StorageDevice, startBlock: UInt64, blockCount: UInt64, cipher: OpenSSLXTS?) {
        self.device = device
        self.startBlock = startBlock
        self.blockCount = blockCount
        self.cipher = cipher
    }

    /// Blocks of the file system that the device actually holds.
    var readableBlocks: UInt64 {
        device.blockCount > startBlock ? min(blockCount, device.blockCount - startBlock) : 0
    }

    mutating func read(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8] {
        try checkPointer(pointer, as: structure, blockCount: blockCount)
        let address = pointer.address
        let bytes = try readPlaintext(at: address.index, count: Int(address.blockCount))
        let actual = SeaHash.hash(bytes)
        guard actual == pointer.hash else {
            throw .hashMismatch(structure, block: address.index, expected: pointer.hash, actual: actual)
        }
        return bytes
    }

    /// Reads `count` blocks at file-system block `index` and decrypts them (no hash check).
    mutating func readPlaintext(at index: UInt64, count: Int) throws(FormatError) -> [UInt8] {
        var bytes = try readRaw(at: index, count: count)
        if let cipher {
            bytes.withUnsafeMutableBufferPointer { cipher.decrypt($0, firstUnit: index, unitSize: RedoxFS.blockSize) }
        }
        return bytes
    }

    /// Reads `count` blocks at file-system block `index` as stored.
    mutating func readRaw(at index: UInt64, count: Int) throws(FormatError) -> [UInt8] {
        blocksRead += UInt64(count)
        return try device.readBlocks(at: startBlock + index, count: count)
    }
}
