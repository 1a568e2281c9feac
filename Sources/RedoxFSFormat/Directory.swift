/// A directory entry: a name and the node it names.
public struct DirectoryEntry: Equatable, Sendable {
    public var nodeID: UInt32
    /// The name's bytes (UTF-8 on disk, 1…252 bytes, no NUL, '/' or ':').
    public var name: [UInt8]

    public init(nodeID: UInt32, name: [UInt8]) {
        self.nodeID = nodeID
        self.name = name
    }

    /// Bytes this entry occupies in a DirList.
    public var encodedSize: Int { 5 + name.count }

    /// Whether `name` may be stored: 1…252 bytes, no NUL, '/' or ':'.
    public static func isValidName(_ name: [UInt8]) -> Bool {
        guard !name.isEmpty, name.count <= RedoxFS.maxNameLength else { return false }
        for byte in name where byte == 0 || byte == 0x2F || byte == 0x3A { return false }
        return true
    }
}

/// The directory index hash of a name: low 32 bits of its seahash, 0xFFFFFFFF mapped to 0xFFFFFFFE.
public func directoryNameHash(_ name: [UInt8]) -> UInt32 {
    directoryNameHash(name[...])
}

/// The directory index hash of a name held in a slice of a block.
public func directoryNameHash(_ name: ArraySlice<UInt8>) -> UInt32 {
    let hash = name.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: SeaHash.hash($0)) }
    return hash == .max ? .max - 1 : hash
}

/// A directory leaf block: entries packed from offset 0, `count` and `used` at the end.
public struct DirList: Equatable, Sendable {
    public static let capacity = 4092

    public var entries: [DirectoryEntry]

    public init(entries: [DirectoryEntry] = []) { self.entries = entries }

    /// Decodes and bounds-checks a leaf read from `block`.
    public init(block bytes: [UInt8], at block: UInt64) throws(FormatError) {
        var entries: [DirectoryEntry] = []
        entries.reserveCapacity(Int(bytes.le16(at: 4092)))
        _ = try Self.scan(bytes, at: block) { (id, start, length) in
            entries.append(DirectoryEntry(nodeID: id, name: Array(bytes[start..<start + length])))
            return true
        }
        self.entries = entries
    }

    /// Walks the entries of the leaf `bytes` in place, checking their bounds (the one reading of
    /// the leaf layout): `body` gets each entry's node id and the offset and length of its name,
    /// and returns false to stop. Returns the bytes of the entry area in use.
    @discardableResult
    public static func scan(
        _ bytes: [UInt8], at block: UInt64, _ body: (_ id: UInt32, _ nameStart: Int, _ nameLength: Int) -> Bool
    ) throws(FormatError) -> Int {
        guard bytes.count >= RedoxFS.blockSize else { throw .malformed(.dirList, block: block, .entryOverrun) }
        let count = Int(bytes.le16(at: 4092))
        let used = Int(bytes.le16(at: 4094))
        guard used <= Self.capacity else { throw .malformed(.dirList, block: block, .fieldOutOfRange) }
        // Read through a raw view (a lookup scans the whole leaf): every entry is checked to lie
        // within `used`, itself within the block, before it is read.
        let outcome: (end: Int, problem: Malformation?) = bytes.withUnsafeBytes { raw in
            var offset = 0
            var stopped = false
            for _ in 0..<count {
                guard offset + 5 <= used else { return (offset, .entryOverrun) }
                let id = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                let length = Int(raw[offset + 4])
                guard length >= 1 && length <= RedoxFS.maxNameLength else { return (offset, .badNameLength) }
                guard offset + 5 + length <= used else { return (offset, .entryOverrun) }
                guard id != 0 else { return (offset, .zeroNodeID) }
                if !stopped, !body(id, offset + 5, length) { stopped = true }
                offset += 5 + length
            }
            return (offset, nil)
        }
        if let problem = outcome.problem { throw .malformed(.dirList, block: block, problem) }
        guard outcome.end == used else { throw .malformed(.dirList, block: block, .entryOverrun) }
        return used
    }

    /// The node id `name` names in the leaf `bytes`, read in place (no entry is decoded).
    public static func find(_ name: [UInt8], in bytes: [UInt8], at block: UInt64) throws(FormatError) -> UInt32? {
        var found: UInt32?
        var failure: FormatError?
        name.withUnsafeBytes { wanted in
            bytes.withUnsafeBytes { leaf in
                do throws(FormatError) {
                    try scan(bytes, at: block) { (id, start, length) in
                        guard length == wanted.count, leaf.matches(wanted, at: start) else { return true }
                        found = id
                        return false
                    }
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        return found
    }

    /// The leaf `bytes` with `entry` appended in place, or nil when it does not fit. The entry
    /// area past the new `used` is zeroed: the format leaves it unspecified (upstream's removal
    /// leaves old name bytes there), and we write it as `encode` and `removing` do.
    public static func appending(_ entry: DirectoryEntry, to bytes: [UInt8], at block: UInt64) throws(FormatError) -> [UInt8]? {
        let used = try scan(bytes, at: block) { _, _, _ in true }
        let end = used + entry.encodedSize
        guard end <= Self.capacity else { return nil }
        var result = bytes
        if result.count > RedoxFS.blockSize { result.removeLast(result.count - RedoxFS.blockSize) }
        result.storeLE32(entry.nodeID, at: used)
        result[used + 4] = UInt8(entry.name.count)
        for (i, byte) in entry.name.enumerated() { result[used + 5 + i] = byte }
        result.withUnsafeMutableBufferPointer { UnsafeMutableBufferPointer(rebasing: $0[end..<Self.capacity]).update(repeating: 0) }
        result.storeLE16(bytes.le16(at: 4092) + 1, at: 4092)
        result.storeLE16(UInt16(used + entry.encodedSize), at: 4094)
        return result
    }

    /// The leaf `bytes` without the entry named `name` (the rest moved down, the freed tail
    /// zeroed), with the id it named and the highest name hash left; nil when absent.
    ///
    /// `bound` is the hash of the index slot above the leaf (nil for a directory's only leaf,
    /// which has no slot): the slot holds the highest name hash of the leaf, so it stays the
    /// highest one left unless the removed name carried it; only then are the names left hashed
    /// again. Without a slot nothing needs the highest hash and 0 is returned.
    public static func removing(_ name: [UInt8], from bytes: [UInt8], at block: UInt64, bound: UInt32? = nil) throws(FormatError)
        -> (bytes: [UInt8], id: UInt32, remaining: Int, maximumHash: UInt32)? {
        var found: (offset: Int, id: UInt32)?
        let used = try scan(bytes, at: block) { (id, start, length) in
            if length == name.count, bytes.matches(name, at: start) {
                found = (start - 5, id)
                return false
            }
            return true
        }
        guard let found else { return nil }
        let remaining = Int(bytes.le16(at: 4092)) - 1
        var maximum: UInt32 = 0
        if let bound {
            maximum = bound
            if directoryNameHash(name) >= bound {
                maximum = 0
                try scan(bytes, at: block) { (_, start, length) in
                    if start - 5 != found.offset {
                        maximum = max(maximum, directoryNameHash(bytes[start..<start + length]))
                    }
                    return true
                }
            }
        }
        let size = 5 + name.count
        var result = bytes
        if result.count > RedoxFS.blockSize { result.removeLast(result.count - RedoxFS.blockSize) }
        result.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            let tail = used - found.offset - size
            if tail > 0 { (base + found.offset).copyMemory(from: base + found.offset + size, byteCount: tail) }
            (base + used - size).initializeMemory(as: UInt8.self, repeating: 0, count: size)
        }
        result.storeLE16(UInt16(remaining), at: 4092)
        result.storeLE16(UInt16(used - size), at: 4094)
        return (result, found.id, remaining, maximum)
    }

    /// Bytes of the entry area in use.
    public var used: Int { entries.reduce(0) { $0 + $1.encodedSize } }

    public func canAdd(_ entry: DirectoryEntry) -> Bool { used + entry.encodedSize <= Self.capacity }

    public func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        var offset = 0
        for entry in entries {
            block.storeLE32(entry.nodeID, at: offset)
            block[offset + 4] = UInt8(entry.name.count)
            for (i, byte) in entry.name.enumerated() { block[offset + 5 + i] = byte }
            offset += entry.encodedSize
        }
        block.storeLE16(UInt16(entries.count), at: 4092)
        block.storeLE16(UInt16(offset), at: 4094)
        return block
    }

    /// The highest name hash in the leaf (0 when empty).
    public var maximumHash: UInt32 { entries.reduce(0) { max($0, directoryNameHash($1.name)) } }
}

/// One slot of a hash-tree index block: an upper bound of the name hashes below, and the child.
public struct HTreeSlot: Equatable, Sendable {
    public var hash: UInt32
    public var pointer: BlockPointer

    public init(hash: UInt32, pointer: BlockPointer) {
        self.hash = hash
        self.pointer = pointer
    }

    /// The empty slot: hash 0xFFFFFFFF and a null pointer.
    public static let empty = HTreeSlot(hash: .max, pointer: .null)
    public var isEmpty: Bool { pointer.isNull }
}

/// A hash-tree index block: 204 slots of 20 bytes, used ones first, sorted by hash.
public struct HTreeNode: Equatable, Sendable {
    public static let slotCount = 204

    /// The used slots, in stored order (empty slots are implied after them).
    public var slots: [HTreeSlot]

    public init(slots: [HTreeSlot] = []) { self.slots = slots }

    /// Decodes a block; the used slots are those before the first null pointer.
    public init(block bytes: [UInt8]) {
        var slots: [HTreeSlot] = []
        for i in 0..<Self.slotCount {
            let slot = HTreeSlot(hash: bytes.le32(at: i * 20), pointer: BlockPointer(bytes: bytes, at: i * 20 + 4))
            if slot.isEmpty { break }
            slots.append(slot)
        }
        self.slots = slots
    }

    public func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        for i in 0..<Self.slotCount {
            let slot = i < slots.count ? slots[i] : .empty
            block.storeLE32(slot.hash, at: i * 20)
            slot.pointer.encode(into: &block, at: i * 20 + 4)
        }
        return block
    }

    public var maximumHash: UInt32 { slots.reduce(0) { max($0, $1.hash) } }

    /// Offset of the 16 padding bytes after the last slot.
    public static let paddingOffset = slotCount * 20

    /// How a stored index block departs from the layout rules of spec §10.5 (slots are read as
    /// `init(block:)` reads them: those before the first null pointer).
    public struct LayoutFindings: Equatable, Sendable {
        /// A slot in use follows an empty one (what lies below it is unreachable).
        public var slotsNotPrefix = false
        /// An empty slot is not hash FFFFFFFF with a zero pointer.
        public var badEmptySlot = false
        /// The padding after the last slot is not zero.
        public var paddingNonZero = false
    }

    /// The layout findings of the stored block `bytes`.
    public static func layout(of bytes: [UInt8]) -> LayoutFindings {
        var findings = LayoutFindings()
        var sawEmpty = false
        for i in 0..<slotCount {
            let hash = bytes.le32(at: i * 20)
            let pointer = BlockPointer(bytes: bytes, at: i * 20 + 4)
            if pointer.isNull {
                sawEmpty = true
                if hash != .max || !pointer.isZero { findings.badEmptySlot = true }
            } else if sawEmpty {
                findings.slotsNotPrefix = true
            }
        }
        findings.paddingNonZero = !bytes.isZero(paddingOffset..<RedoxFS.blockSize)
        return findings
    }

    /// The slots that may hold names with hash `hash`, in order (spec §10.7).
    public func candidates(for hash: UInt32) -> [HTreeSlot] {
        var result: [HTreeSlot] = []
        var previous: UInt32 = 0
        for slot in slots {
            if slot.hash < hash { continue }
            if slot.pointer.isNull || previous > hash { break }
            result.append(slot)
            previous = slot.hash
        }
        return result
    }
}
