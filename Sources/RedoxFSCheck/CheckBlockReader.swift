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
    /// Whether blocks are hashed with the vector code (`BatchSeaHash`): the check's
    /// `CheckOptions.vectorHashes` where the processor has it.
    let vectorHashes: Bool

    init(device: any StorageDevice, startBlock: UInt64, blockCount: UInt64, cipher: OpenSSLXTS?, vectorHashes: Bool) {
        self.device = CountingDevice(base: device)
        self.startBlock = startBlock
        self.blockCount = blockCount
        self.cipher = cipher
        self.vectorHashes = vectorHashes && BatchSeaHash.isAvailable
    }

    /// Number of 4096-byte blocks asked for so far (read-ahead not counted).
    var blocksRead: UInt64 { device.blocksRead }

    /// Whether copies of this reader may read on other threads at the same time (an image file
    /// or block device: `pread` on a shared descriptor).
    var canReadConcurrently: Bool { device.base is FileDevice }

    /// A reader of the same blocks with its own read-ahead window and count, for a worker thread.
    func copyForWorker() -> CheckBlockReader {
        CheckBlockReader(
            device: device.base, startBlock: startBlock, blockCount: blockCount, cipher: cipher, vectorHashes: vectorHashes)
    }

    /// Counts `count` blocks that a worker read on this reader's behalf (`NodePrefetcher`).
    mutating func countPrefetched(_ count: UInt64) { device.blocksRead += count }

    /// Read-ahead hints for this reader's device (nil when it is not an image file or block device).
    var readHints: ReadHints? { ReadHints(device: device.base, startBlock: startBlock, readableBlocks: readableBlocks) }

    /// The most blocks a read of one block may read from the device (its read-ahead window): what
    /// a hint asks for, so that the read finds all it reads in the page cache.
    static var readAheadBlocks: UInt64 { UInt64(CountingDevice.maximumWindow) }

    /// Blocks of the file system that the device actually holds.
    var readableBlocks: UInt64 {
        device.blockCount > startBlock ? min(blockCount, device.blockCount - startBlock) : 0
    }

    mutating func read(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8] {
        guard vectorHashes else {
            return try readVerifiedBlock(
                pointer, as: structure, from: &device, startBlock: startBlock, blockCount: blockCount, cipher: cipher)
        }
        // The steps of `readVerifiedBlock`, hashed with the vector code.
        try checkPointer(pointer, as: structure, blockCount: blockCount)
        let address = pointer.address
        var bytes = try device.readBlocks(at: startBlock + address.index, count: Int(address.blockCount))
        let cipher = self.cipher
        let actual = bytes.withUnsafeMutableBufferPointer { buffer in
            decryptBlock(buffer, of: pointer, cipher: cipher)
            return BatchSeaHash.hash(UnsafeBufferPointer(buffer))
        }
        try verifyHash(actual, of: pointer, as: structure)
        return bytes
    }

    /// Reads the blocks at file-system block `index` as stored into `buffer` with one device
    /// read, past the read-ahead window and uncounted (`NodePrefetcher`'s runs of node blocks,
    /// counted by `countPrefetched` as the checks take them).
    mutating func readStored(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try device.base.readBlocks(at: startBlock + index, into: buffer)
    }

    /// Reads `count` blocks at file-system block `index` as stored (the scrub's media check).
    mutating func readRaw(at index: UInt64, count: Int) throws(FormatError) -> [UInt8] {
        try device.readBlocks(at: startBlock + index, count: count)
    }
}

/// A device that counts the blocks asked of it and reads ahead: a single-block read that
/// misses the window fills the window from that block on, so that metadata laid out together
/// (nodes of small files, directory blocks) costs one system call per window, not per block.
/// The window adapts: it doubles while most of what it read ahead is used and halves while little
/// is (down to no read-ahead), so that sparse metadata among data blocks that are not read
/// (outside `--scrub`) does not pay for them. The checker never writes through it.
private struct CountingDevice: BlockDevice {
    var base: any StorageDevice
    var blocksRead: UInt64 = 0
    static let maximumWindow = 32
    private var window: [UInt8] = []
    /// Device block of `window`'s first block, and how many blocks it holds.
    private var windowStart: UInt64 = 0
    private var windowBlocks = 0
    /// Blocks to read on the next miss (1: no read-ahead).
    private var windowSize = 8
    /// Blocks of the current window handed out.
    private var windowHits = 0

    init(base: any StorageDevice) { self.base = base }

    var blockCount: UInt64 { base.blockCount }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let size = RedoxFS.blockSize
        blocksRead += UInt64(buffer.count / size)
        guard buffer.count == size else {
            try base.readBlocks(at: index, into: buffer)
            return
        }
        if index >= windowStart, index - windowStart < UInt64(windowBlocks) {
            let offset = Int(index - windowStart) * size
            window.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + size])) }
            windowHits += 1
            return
        }
        // A miss: adapt the window to how much of the last one was used, then refill it.
        if windowBlocks > 1 {
            if windowHits * 2 >= windowBlocks {
                windowSize = min(Self.maximumWindow, windowSize * 2)
            } else if windowHits * 4 < windowBlocks {
                windowSize = max(1, windowSize / 2)
            }
        } else if windowSize == 1 {
            windowSize = 2  // probe again now and then
        }
        let available = base.blockCount > index ? base.blockCount - index : 0
        let count = Int(min(UInt64(windowSize), available))
        guard count > 1 else {
            windowBlocks = 0
            try base.readBlocks(at: index, into: buffer)
            return
        }
        if window.count < count * size { window = [UInt8](repeating: 0, count: Self.maximumWindow * size) }
        var failure: FormatError?
        let base = self.base
        window.withUnsafeMutableBytes { bytes in
            do throws(FormatError) {
                var device = base
                try device.readBlocks(at: index, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<count * size]))
            } catch {
                failure = error
            }
        }
        if failure != nil {
            // A bad block somewhere in the window: read just this one, as asked.
            windowBlocks = 0
            windowSize = 1
            try self.base.readBlocks(at: index, into: buffer)
            return
        }
        windowStart = index
        windowBlocks = count
        windowHits = 1
        window.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
    }
}
