/// Where record `r` of a node lives: a slot of the node's level area, then indices into
/// `depth` levels of BlockLists (256 pointers each).
public struct RecordPath: Equatable, Sendable {
    /// Slot in the node's level area (0 = level0[0] … 247 = level4[7]).
    public var slot: Int
    /// Indices into BlockLists, outermost first; empty for direct records.
    public var indices: [Int]

    /// The level area's tiers: (first slot, number of slots, BlockList depth).
    public static let tiers: [(first: Int, count: Int, depth: Int)] = [
        (0, 128, 0), (128, 64, 1), (192, 32, 2), (224, 16, 3), (240, 8, 4),
    ]

    /// The path of record `record`, or nil when the record index is past the format's range.
    public init?(record: UInt64) {
        var q = record
        for tier in Self.tiers {
            let capacity = UInt64(tier.count) << (8 * UInt64(tier.depth))
            if q < capacity {
                slot = tier.first + Int(q >> (8 * UInt64(tier.depth)))
                indices = (0..<tier.depth).reversed().map { Int((q >> (8 * UInt64($0))) & 0xFF) }
                return
            }
            q -= capacity
        }
        return nil
    }

    /// One past the highest record index the format can address.
    public static let recordLimit: UInt64 = tiers.reduce(0) { $0 + (UInt64($1.count) << (8 * UInt64($1.depth))) }
}

/// An indirect record table: 256 block pointers in one level-0 block.
public struct BlockList: Equatable, Sendable {
    public static let entryCount = 256
    public var pointers: [BlockPointer]

    public init() { pointers = [BlockPointer](repeating: .null, count: Self.entryCount) }

    public init(block: [UInt8]) {
        pointers = (0..<Self.entryCount).map { BlockPointer(bytes: block, at: $0 * 16) }
    }

    /// Entry `index` of the stored BlockList `block`, decoded alone (a lookup needs one of 256).
    public static func pointer(in block: [UInt8], at index: Int) -> BlockPointer {
        BlockPointer(bytes: block, at: index * 16)
    }

    public func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        for (i, pointer) in pointers.enumerated() { pointer.encode(into: &block, at: i * 16) }
        return block
    }

    public var isEmpty: Bool { pointers.allSatisfy { $0.isNull } }
}

/// The stored form of a compressed record: a 2-byte little-endian length, then that many bytes of
/// LZ4 block data (spec §9.4).
public enum CompressedRecord {
    /// Bytes of the length prefix.
    public static let prefixSize = 2

    /// Where the LZ4 data of the stored record `stored` lies, or nil when its length prefix
    /// reaches past the stored block.
    public static func payload(of stored: [UInt8]) -> Range<Int>? {
        guard stored.count >= prefixSize else { return nil }
        let length = Int(stored.le16(at: 0))
        guard prefixSize + length <= stored.count else { return nil }
        return prefixSize..<prefixSize + length
    }
}
