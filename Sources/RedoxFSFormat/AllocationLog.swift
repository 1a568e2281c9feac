/// One entry of the allocation log: `count` > 0 frees, < 0 allocates, blocks from `index`.
public struct AllocEntry: Equatable, Sendable {
    public var index: UInt64
    public var count: Int64

    public init(index: UInt64, count: Int64) {
        self.index = index
        self.count = count
    }
}

/// One block of the allocation log: a pointer to the older block and up to 255 entries.
public struct AllocList: Equatable, Sendable {
    public static let entryCount = 255

    public var previous: BlockPointer
    /// The used entries (a prefix of the block; a count of 0 ends it).
    public var entries: [AllocEntry]

    public init(previous: BlockPointer = .null, entries: [AllocEntry] = []) {
        self.previous = previous
        self.entries = entries
    }

    public init(block: [UInt8]) {
        previous = BlockPointer(bytes: block, at: 0)
        entries = Self.storedEntries(of: block).filter { $0.count != 0 }
    }

    /// All 255 stored entry slots of `block` in order, empty ones (count 0) included.
    public static func storedEntries(of block: [UInt8]) -> [AllocEntry] {
        (0..<entryCount).map { i in
            AllocEntry(index: block.le64(at: 16 + 16 * i), count: Int64(bitPattern: block.le64(at: 24 + 16 * i)))
        }
    }

    public func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        previous.encode(into: &block, at: 0)
        for (i, entry) in entries.prefix(Self.entryCount).enumerated() { Self.store(entry, slot: i, in: &block) }
        return block
    }

    /// Writes `entry` into entry slot `slot` (0..<255) of the encoded `block`.
    public static func store(_ entry: AllocEntry, slot: Int, in block: inout [UInt8]) {
        precondition(slot >= 0 && slot < entryCount, "an allocation log block has 255 entry slots")
        block.storeLE64(entry.index, at: 16 + 16 * slot)
        block.storeLE64(UInt64(bitPattern: entry.count), at: 24 + 16 * slot)
    }
}

/// One block of the release list: ids of unlinked nodes still open, awaiting deletion.
public struct ReleaseList: Equatable, Sendable {
    public static let entryCount = 1020

    public var previous: BlockPointer
    /// The non-zero ids, in stored order.
    public var nodeIDs: [UInt32]

    public init(previous: BlockPointer = .null, nodeIDs: [UInt32] = []) {
        self.previous = previous
        self.nodeIDs = nodeIDs
    }

    public init(block: [UInt8]) {
        previous = BlockPointer(bytes: block, at: 0)
        nodeIDs = (0..<Self.entryCount).map { block.le32(at: 16 + 4 * $0) }.filter { $0 != 0 }
    }

    public func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        previous.encode(into: &block, at: 0)
        for (i, id) in nodeIDs.prefix(Self.entryCount).enumerated() { block.storeLE32(id, at: 16 + 4 * i) }
        return block
    }
}
