/// Raw access to a device in 4096-byte blocks, counted from the start of the device
/// (or partition) being opened. Headers and the reserved area are read through it directly.
public protocol BlockDevice {
    /// Reads `buffer.count` bytes (a multiple of 4096) starting at device block `index`.
    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError)
}

extension BlockDevice {
    /// Reads `count` blocks at `index` into a new array.
    /// The array is not zero-filled first: a device fills the whole buffer or throws.
    public mutating func readBlocks(at index: UInt64, count: Int) throws(FormatError) -> [UInt8] {
        try [UInt8](filling: count * RedoxFS.blockSize) { (buffer) throws(FormatError) in try readBlocks(at: index, into: buffer) }
    }
}

/// Gives the plaintext of the block a pointer names, checked against the pointer's hash.
public protocol BlockReader {
    mutating func read(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8]
    /// The node decoded earlier from the block `pointer` names, when the reader keeps decoded
    /// nodes (keyed by block and hash; the default keeps none).
    mutating func cachedNode(at pointer: BlockPointer) -> Node?
    /// Offers a node decoded (and checked) from the block `pointer` names, for `cachedNode`.
    mutating func rememberNode(_ node: Node, at pointer: BlockPointer)
    /// Reads, as `read(pointer, as: .blockList)` does, a BlockList whose entries point to further
    /// BlockLists (not to records). A reader may then ask its device to start reading those
    /// lists (the default does not): a random read of a large file then finds its level-0 list
    /// already read instead of waiting for one more disk read.
    mutating func readListOfLists(_ pointer: BlockPointer) throws(FormatError) -> [UInt8]
}

extension BlockReader {
    public mutating func readListOfLists(_ pointer: BlockPointer) throws(FormatError) -> [UInt8] {
        try read(pointer, as: .blockList)
    }

    public mutating func cachedNode(at pointer: BlockPointer) -> Node? { nil }
    public mutating func rememberNode(_ node: Node, at pointer: BlockPointer) {}
}

extension Structure {
    /// Whether a block of this structure may have `level` (spec §4.3).
    public func allows(level: UInt8, decompressionLevel: UInt8) -> Bool {
        switch self {
        case .record: return level <= 5 && decompressionLevel <= 5
        case .hTreeNode: return level <= 5 && decompressionLevel == 0
        default: return level == 0 && decompressionLevel == 0
        }
    }
}

/// Checks that `pointer` may be read as `structure` in a file system of `blockCount` blocks.
public func checkPointer(_ pointer: BlockPointer, as structure: Structure, blockCount: UInt64) throws(FormatError) {
    let address = pointer.address
    guard !pointer.isNull, !pointer.isMarker else { throw .nullPointer(structure) }
    guard structure.allows(level: address.level, decompressionLevel: address.decompressionLevel) else {
        throw .invalidLevel(structure, block: address.index, level: address.level)
    }
    guard address.index >= RedoxFS.headerRing,
          address.index < blockCount,
          blockCount - address.index >= address.blockCount else {
        throw .outOfBounds(structure, block: address.index)
    }
}

/// A `BlockReader` straight over a device: reads, decrypts when a cipher is set, verifies the hash.
/// It caches nothing; the engine keeps its own caches.
public struct DeviceBlockReader<Device: BlockDevice, Cipher: XTSCipher>: BlockReader {
    public var device: Device
    /// Device block at which the file system starts (the header ring's slot 0).
    public let startBlock: UInt64
    /// Number of blocks in the file system.
    public let blockCount: UInt64
    /// The data cipher of an unlocked encrypted file system.
    public var cipher: Cipher?

    public init(device: Device, startBlock: UInt64, blockCount: UInt64, cipher: Cipher? = nil) {
        self.device = device
        self.startBlock = startBlock
        self.blockCount = blockCount
        self.cipher = cipher
    }

    public mutating func read(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8] {
        try readVerifiedBlock(pointer, as: structure, from: &device, startBlock: startBlock, blockCount: blockCount, cipher: cipher)
    }
}

/// Reads the block `pointer` names from `device` (whose file system starts at `startBlock` and
/// holds `blockCount` blocks), decrypts it when `cipher` is set, and checks it against the
/// pointer's hash: the one read rule of the format (spec §6).
public func readVerifiedBlock<Device: BlockDevice, Cipher: XTSCipher>(
    _ pointer: BlockPointer, as structure: Structure, from device: inout Device, startBlock: UInt64,
    blockCount: UInt64, cipher: Cipher?
) throws(FormatError) -> [UInt8] {
    try checkPointer(pointer, as: structure, blockCount: blockCount)
    let address = pointer.address
    var bytes = try device.readBlocks(at: startBlock + address.index, count: Int(address.blockCount))
    var failure: FormatError?
    bytes.withUnsafeMutableBufferPointer { buffer in
        do throws(FormatError) {
            try verifyBlock(buffer, of: pointer, as: structure, cipher: cipher)
        } catch {
            failure = error
        }
    }
    if let failure { throw failure }
    return bytes
}

/// The second half of `readVerifiedBlock`, for a caller that read the block `pointer` names
/// itself (as stored, into `block`, exactly its `blockCount` blocks): decrypts it in place when
/// `cipher` is set and checks it against the pointer's hash.
public func verifyBlock<Cipher: XTSCipher>(
    _ block: UnsafeMutableBufferPointer<UInt8>, of pointer: BlockPointer, as structure: Structure, cipher: Cipher?
) throws(FormatError) {
    decryptBlock(block, of: pointer, cipher: cipher)
    try verifyHash(SeaHash.hash(UnsafeBufferPointer(block)), of: pointer, as: structure)
}

/// The first step of `verifyBlock`: decrypts the block `pointer` names, read as stored into
/// `block`, in place when `cipher` is set (nothing otherwise).
public func decryptBlock<Cipher: XTSCipher>(_ block: UnsafeMutableBufferPointer<UInt8>, of pointer: BlockPointer, cipher: Cipher?) {
    if let cipher { cipher.decrypt(block, firstUnit: pointer.address.index, unitSize: RedoxFS.blockSize) }
}

/// The last step of `verifyBlock`, for a caller that hashes decrypted blocks its own way (several
/// at once): throws unless `actual`, the SeaHash of the block, is the hash `pointer` names.
public func verifyHash(_ actual: UInt64, of pointer: BlockPointer, as structure: Structure) throws(FormatError) {
    guard actual == pointer.hash else {
        throw .hashMismatch(structure, block: pointer.address.index, expected: pointer.hash, actual: actual)
    }
}
