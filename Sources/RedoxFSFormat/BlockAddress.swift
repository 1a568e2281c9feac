/// A block address: index of the first 4096-byte block (relative to the file-system start),
/// its level (2^level blocks) and, for compressed records, the decompressed level.
public struct BlockAddress: Hashable, Sendable {
    /// The address as stored on disk: `index << 8 | decompressionLevel << 4 | level`.
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(index: UInt64, level: UInt8, decompressionLevel: UInt8 = 0) {
        rawValue = index << 8 | UInt64(decompressionLevel & 0xF) << 4 | UInt64(level & 0xF)
    }

    /// Index of the first block.
    public var index: UInt64 { rawValue >> 8 }
    /// The block occupies 2^level consecutive 4096-byte blocks.
    public var level: UInt8 { UInt8(rawValue & 0xF) }
    /// 0 when stored uncompressed, else the level of the decompressed record.
    public var decompressionLevel: UInt8 { UInt8((rawValue >> 4) & 0xF) }
    /// Null when the index is zero.
    public var isNull: Bool { index == 0 }
    /// Number of 4096-byte blocks occupied.
    public var blockCount: UInt64 { 1 << UInt64(level) }
    /// Number of bytes stored.
    public var byteCount: Int { RedoxFS.blockSize << Int(level) }
}

/// Block levels: a level-L block holds 4096 << L bytes.
public enum BlockLevel {
    /// The smallest level able to hold `byteCount` bytes (0 for 0 bytes).
    public static func forBytes(_ byteCount: Int) -> UInt8 {
        if byteCount <= RedoxFS.blockSize { return 0 }
        let blocks = (byteCount + RedoxFS.blockSize - 1) / RedoxFS.blockSize
        var level: UInt8 = 0
        while (1 << Int(level)) < blocks { level += 1 }
        return level
    }
}

/// A pointer to a block: its address and the seahash of its stored (plaintext) bytes.
public struct BlockPointer: Hashable, Sendable {
    public var address: BlockAddress
    public var hash: UInt64

    public init(address: BlockAddress, hash: UInt64) {
        self.address = address
        self.hash = hash
    }

    /// The null pointer (16 zero bytes on disk).
    public static let null = BlockPointer(address: BlockAddress(rawValue: 0), hash: 0)

    /// The marker stored in a directory node's `level0[0]`, carrying the hash-tree depth.
    public static func marker(depth: UInt8) -> BlockPointer {
        BlockPointer(address: BlockAddress(rawValue: 0xFFFF_FFFF_FFFF_FFF0 | UInt64(depth & 0xF)), hash: .max)
    }

    public var isNull: Bool { address.isNull }

    /// Whether this is a directory marker (never to be dereferenced).
    public var isMarker: Bool { address.rawValue | 0xF == .max && hash == .max }

    /// The depth carried by a marker.
    public var markerDepth: UInt8 { address.level }

    /// Decodes the 16 bytes at `offset`.
    public init(bytes: [UInt8], at offset: Int) {
        address = BlockAddress(rawValue: bytes.le64(at: offset))
        hash = bytes.le64(at: offset + 8)
    }

    /// Encodes into the 16 bytes at `offset`.
    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.storeLE64(address.rawValue, at: offset)
        bytes.storeLE64(hash, at: offset + 8)
    }

    /// Whether all 16 stored bytes are zero.
    public var isZero: Bool { address.rawValue == 0 && hash == 0 }
}
