/// One block of the node tree: 254 child pointers and a 256-bit flag map.
///
/// The list keeps the block's bytes and decodes only the pointer or flag asked for: reading a
/// list from the cache costs no copy (the bytes are shared until changed), and a lookup decodes
/// one pointer per level instead of all 254.
public struct TreeList: Equatable, Sendable {
    /// Number of child pointers.
    public static let entryCount = 254
    static let flagsOffset = 4064

    /// The block as stored: 254 pointers of 16 bytes, then 32 bytes of flags.
    public private(set) var bytes: [UInt8]

    /// The child pointers, decoded one at a time from the block's bytes.
    public var pointers: Pointers {
        get { Pointers(bytes: bytes) }
        _modify {
            var view = Pointers(bytes: bytes)
            bytes = []
            defer { bytes = view.bytes }
            yield &view
        }
    }

    /// Flag bits: occupied (level 0) or child full (levels 1–3); 256 bits, entries 254/255 always clear.
    public var flags: [UInt8] { Array(bytes[Self.flagsOffset..<RedoxFS.blockSize]) }

    /// An empty TreeList.
    public init() {
        bytes = [UInt8](repeating: 0, count: RedoxFS.blockSize)
    }

    /// The list stored in `block` (shorter blocks are padded with zeros, longer ones cut).
    public init(block: [UInt8]) {
        if block.count == RedoxFS.blockSize {
            bytes = block
        } else {
            var padded = [UInt8](repeating: 0, count: RedoxFS.blockSize)
            for i in 0..<min(block.count, RedoxFS.blockSize) { padded[i] = block[i] }
            bytes = padded
        }
    }

    public func encode() -> [UInt8] { bytes }

    /// Pointer `index`, decoded in place.
    @inline(__always)
    public func pointer(_ index: Int) -> BlockPointer { BlockPointer(bytes: bytes, at: index * 16) }

    /// Pointer `index` of the list stored in `block`, decoded in place (a block shorter than a
    /// list reads as zeros past its end, as `init(block:)` pads it).
    public static func pointer(in block: [UInt8], at index: Int) -> BlockPointer {
        guard block.count >= (index + 1) * 16 else { return TreeList(block: block).pointer(index) }
        return BlockPointer(bytes: block, at: index * 16)
    }

    public func flag(_ i: Int) -> Bool { bytes[Self.flagsOffset + i / 8] & (1 << UInt8(i % 8)) != 0 }

    public mutating func setFlag(_ i: Int, _ value: Bool) {
        let offset = Self.flagsOffset + i / 8
        if value { bytes[offset] |= 1 << UInt8(i % 8) } else { bytes[offset] &= ~(1 << UInt8(i % 8)) }
    }

    /// All 254 flags set.
    public var isFull: Bool {
        // 31 whole bytes hold flags 0–247; the last byte holds 248–253.
        for i in 0..<31 where bytes[Self.flagsOffset + i] != 0xFF { return false }
        return bytes[Self.flagsOffset + 31] & 0x3F == 0x3F
    }

    /// All 254 pointers null (their block index zero). One pass over the address words of the
    /// buffer, without a bounds check per entry: the lists on an unlinked node's path are tested
    /// after each unlink (an empty one is read whole).
    public var isEmpty: Bool {
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            // Every initialiser makes `bytes` one whole block.
            precondition(raw.count >= Self.entryCount * 16)
            var index = 0
            while index < Self.entryCount {
                let address = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 16, as: UInt64.self))
                if !BlockAddress(rawValue: address).isNull { return false }
                index += 1
            }
            return true
        }
    }

    /// A view of a list's 254 pointers over its bytes: reading one decodes 16 bytes, writing one
    /// stores 16.
    public struct Pointers: RandomAccessCollection, MutableCollection, Sendable {
        fileprivate var bytes: [UInt8]

        public var startIndex: Int { 0 }
        public var endIndex: Int { TreeList.entryCount }

        public subscript(index: Int) -> BlockPointer {
            get {
                precondition(index >= 0 && index < TreeList.entryCount)
                return BlockPointer(bytes: bytes, at: index * 16)
            }
            set {
                precondition(index >= 0 && index < TreeList.entryCount)
                newValue.encode(into: &bytes, at: index * 16)
            }
        }
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
