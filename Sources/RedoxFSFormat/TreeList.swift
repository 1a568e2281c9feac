/// One block of the node tree: 254 child pointers and a 256-bit flag map.
public struct TreeList: Equatable, Sendable {
    /// Number of child pointers.
    public static let entryCount = 254
    static let flagsOffset = 4064

    public var pointers: [BlockPointer]
    /// Flag bits: occupied (level 0) or child full (levels 1–3); 256 bits, entries 254/255 always clear.
    public var flags: [UInt8]

    /// An empty TreeList.
    public init() {
        pointers = [BlockPointer](repeating: .null, count: Self.entryCount)
        flags = [UInt8](repeating: 0, count: 32)
    }

    public init(block: [UInt8]) {
        pointers = (0..<Self.entryCount).map { BlockPointer(bytes: block, at: $0 * 16) }
        flags = Array(block[Self.flagsOffset..<Self.flagsOffset + 32])
    }

    public func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        for (i, pointer) in pointers.enumerated() { pointer.encode(into: &block, at: i * 16) }
        for i in 0..<32 { block[Self.flagsOffset + i] = flags[i] }
        return block
    }

    public func flag(_ i: Int) -> Bool { flags[i / 8] & (1 << UInt8(i % 8)) != 0 }

    public mutating func setFlag(_ i: Int, _ value: Bool) {
        if value { flags[i / 8] |= 1 << UInt8(i % 8) } else { flags[i / 8] &= ~(1 << UInt8(i % 8)) }
    }

    /// All 254 flags set.
    public var isFull: Bool {
        for i in 0..<Self.entryCount where !flag(i) { return false }
        return true
    }

    /// All 254 pointers null.
    public var isEmpty: Bool {
        for pointer in pointers where !pointer.isNull { return false }
        return true
    }
}

/// A node id and its path through the four TreeList levels.
public struct NodeID: Hashable, Sendable {
    public var rawValue: UInt32
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public static let root = NodeID(RedoxFS.rootNodeID)

    /// Index into the TreeList at `level` (3 = root TreeList, 0 = the list holding node pointers).
    public func index(atLevel level: Int) -> Int { Int((rawValue >> (8 * UInt32(level))) & 0xFF) }

    /// Ids with a byte of 254 or 255 do not exist; id 0 is null.
    public var isAddressable: Bool {
        rawValue != 0 && (0..<4).allSatisfy { index(atLevel: $0) < TreeList.entryCount }
    }

    public init(indices i3: Int, _ i2: Int, _ i1: Int, _ i0: Int) {
        rawValue = UInt32(i3) << 24 | UInt32(i2) << 16 | UInt32(i1) << 8 | UInt32(i0)
    }
}
