/// The type of a node, from the top four bits of its mode (the POSIX `S_IF*` values).
///
/// Upstream makes directories, files, symbolic links and (on Redox) sockets. FIFOs and device
/// nodes are this implementation's: upstream 0.9.1 shows a node of a type it does not know as a
/// regular file (its content, for a device the 8-byte device number, read as file data).
public enum NodeKind: UInt16, Sendable, CaseIterable {
    case fifo = 0x1000
    case characterDevice = 0x2000
    case directory = 0x4000
    case blockDevice = 0x6000
    case file = 0x8000
    case symlink = 0xA000
    case socket = 0xC000

    /// FIFOs, sockets and device nodes: nodes whose only content is, for devices, the device number.
    public var isSpecial: Bool {
        switch self {
        case .fifo, .characterDevice, .blockDevice, .socket: return true
        case .directory, .file, .symlink: return false
        }
    }

    /// Character and block devices, which keep a device number.
    public var isDevice: Bool { self == .characterDevice || self == .blockDevice }
}

/// A node (inode): metadata, then either inline data or the record pointer tables.
public struct Node: NodeFields, Equatable, Sendable {
    public static let modeTypeMask: UInt16 = 0xF000
    public static let modePermissionMask: UInt16 = 0o7777
    public static let inlineDataFlag: UInt32 = 1
    /// Offset of the level/inline area in the node block.
    public static let dataOffset = 128

    public var mode: UInt16 = 0
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var links: UInt32 = 0
    public var size: UInt64 = 0
    public var blocks: UInt64 = 0
    public var ctime: UInt64 = 0
    public var ctimeNanoseconds: UInt32 = 0
    public var mtime: UInt64 = 0
    public var mtimeNanoseconds: UInt32 = 0
    public var atime: UInt64 = 0
    public var atimeNanoseconds: UInt32 = 0
    public var recordLevel: UInt32 = 0
    public var flags: UInt32 = 0
    /// Bytes 74..<128, zero in every image written by the reference.
    public var padding: [UInt8]
    /// The 3968-byte area: inline content or level pointers.
    public var data: [UInt8]

    public init() {
        padding = [UInt8](repeating: 0, count: Node.paddingRange.count)
        data = [UInt8](repeating: 0, count: RedoxFS.inlineDataSize)
    }

    /// A new node as the reference creates it: inline for non-directories, record level 5 for files.
    public init(mode: UInt16, uid: UInt32, gid: UInt32, seconds: UInt64, nanoseconds: UInt32) {
        padding = [UInt8](repeating: 0, count: Node.paddingRange.count)
        data = [UInt8](repeating: 0, count: RedoxFS.inlineDataSize)
        self.mode = mode
        self.uid = uid
        self.gid = gid
        links = 0
        blocks = 1
        ctime = seconds; mtime = seconds; atime = seconds
        ctimeNanoseconds = nanoseconds; mtimeNanoseconds = nanoseconds; atimeNanoseconds = nanoseconds
        recordLevel = mode & Self.modeTypeMask == NodeKind.file.rawValue ? RedoxFS.recordLevel : 0
        flags = mode & Self.modeTypeMask == NodeKind.directory.rawValue ? 0 : Self.inlineDataFlag
    }

    public init(block: [UInt8]) {
        mode = block.le16(at: 0)
        uid = block.le32(at: 2)
        gid = block.le32(at: 6)
        links = block.le32(at: 10)
        size = block.le64(at: 14)
        blocks = block.le64(at: 22)
        ctime = block.le64(at: 30)
        ctimeNanoseconds = block.le32(at: 38)
        mtime = block.le64(at: 42)
        mtimeNanoseconds = block.le32(at: 50)
        atime = block.le64(at: 54)
        atimeNanoseconds = block.le32(at: 62)
        recordLevel = block.le32(at: 66)
        flags = block.le32(at: 70)
        padding = Array(block[74..<128])
        data = Array(block[128..<RedoxFS.blockSize])
    }

    public func encode() -> [UInt8] {
        // The padding and data areas copied whole; the fields are stored below.
        var block = [UInt8](unsafeUninitializedCapacity: RedoxFS.blockSize) { out, initialized in
            let base = UnsafeMutableRawPointer(out.baseAddress!)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: 74)
            Self.copy(padding, to: base + 74, count: 54)
            Self.copy(data, to: base + Self.dataOffset, count: RedoxFS.inlineDataSize)
            initialized = RedoxFS.blockSize
        }
        block.storeLE16(mode, at: 0)
        block.storeLE32(uid, at: 2)
        block.storeLE32(gid, at: 6)
        block.storeLE32(links, at: 10)
        block.storeLE64(size, at: 14)
        block.storeLE64(blocks, at: 22)
        block.storeLE64(ctime, at: 30)
        block.storeLE32(ctimeNanoseconds, at: 38)
        block.storeLE64(mtime, at: 42)
        block.storeLE32(mtimeNanoseconds, at: 50)
        block.storeLE64(atime, at: 54)
        block.storeLE32(atimeNanoseconds, at: 62)
        block.storeLE32(recordLevel, at: 66)
        block.storeLE32(flags, at: 70)
        return block
    }

    /// Copies `count` bytes of `bytes` to `target`, zeros where `bytes` is shorter.
    private static func copy(_ bytes: [UInt8], to target: UnsafeMutableRawPointer, count: Int) {
        let copied = min(bytes.count, count)
        bytes.withUnsafeBytes { if copied > 0 { target.copyMemory(from: $0.baseAddress!, byteCount: copied) } }
        if copied < count { (target + copied).initializeMemory(as: UInt8.self, repeating: 0, count: count - copied) }
    }

    /// Pointer `index` of the level area, counted from its start (level0[0] is 0, level1[0] is 128, …).
    public func levelPointer(_ index: Int) -> BlockPointer { BlockPointer(bytes: data, at: index * 16) }

    public func levelPointersAreZero(_ indices: Range<Int>) -> Bool {
        data.isZero(indices.lowerBound * 16..<indices.upperBound * 16)
    }

    public mutating func setLevelPointer(_ index: Int, _ pointer: BlockPointer) {
        pointer.encode(into: &data, at: index * 16)
    }

    /// Bytes of the level area a directory uses: `level0[0]` (the marker) and `level0[1]` (the top).
    public static let directoryPointerBytes = 32

    /// Bytes of the node block between the fields and the level area (zero in every valid node).
    public static let paddingRange = 74..<dataOffset

    /// Bytes of the level area beyond a directory's two pointers (zero in every valid directory).
    public static let directoryExtraPointerRange = directoryPointerBytes..<RedoxFS.inlineDataSize

    /// Bytes of the level area beyond `size` bytes of inline content (zero in every valid node).
    public static func inlineTailRange(size: UInt64) -> Range<Int> {
        Int(min(size, UInt64(RedoxFS.inlineDataSize)))..<RedoxFS.inlineDataSize
    }

    /// Whether a directory's level area is zero beyond its two pointers.
    public var directoryExtraPointersAreZero: Bool { data.isZero(Self.directoryExtraPointerRange) }

    /// Whether the inline area is zero beyond the node's size.
    public var inlineTailIsZero: Bool { data.isZero(Self.inlineTailRange(size: size)) }

    /// Zeroes every field the format requires to be zero: the padding, a directory's flags, record
    /// level and pointers beyond its two, unknown flags, and inline bytes beyond the size.
    public mutating func clearReservedFields() {
        padding = [UInt8](repeating: 0, count: padding.count)
        if isDirectory {
            flags = 0
            recordLevel = 0
            for i in Self.directoryPointerBytes..<RedoxFS.inlineDataSize { data[i] = 0 }
        } else {
            flags &= Self.inlineDataFlag
            if hasInlineData {
                for i in Int(min(size, UInt64(RedoxFS.inlineDataSize)))..<RedoxFS.inlineDataSize { data[i] = 0 }
            }
        }
    }
}

/// The fields of a node that readers and walkers use, shared by the decoded `Node` and the
/// in-place `NodeView`, with the rules derived from them written once.
public protocol NodeFields {
    var mode: UInt16 { get }
    var size: UInt64 { get }
    var recordLevel: UInt32 { get }
    var flags: UInt32 { get }
    /// Pointer `index` of the level area, counted from its start.
    func levelPointer(_ index: Int) -> BlockPointer
    /// Whether the level pointers `indices` are all zero bytes (so all null).
    func levelPointersAreZero(_ indices: Range<Int>) -> Bool
}

extension NodeFields {
    /// The node's type, or nil for a type value the format does not define.
    public var kind: NodeKind? { NodeKind(rawValue: mode & Node.modeTypeMask) }
    public var isDirectory: Bool { kind == .directory }
    public var isSymlink: Bool { kind == .symlink }
    public var permissions: UInt16 { mode & Node.modePermissionMask }
    public var hasInlineData: Bool { flags & Node.inlineDataFlag != 0 }

    /// Bytes per record: 4096 << record_level (a damaged level is clamped so that this never
    /// reaches zero; `validate` rejects levels above 5).
    public var recordSize: UInt64 { UInt64(RedoxFS.blockSize) << UInt64(min(recordLevel, 15)) }

    /// Number of records covering `size` (records at or past this index are ignored on read).
    public var recordCount: UInt64 { size / recordSize + (size % recordSize == 0 ? 0 : 1) }

    /// Checks the fields a reader relies on.
    public func validate(block: UInt64) throws(FormatError) {
        guard let kind else { throw .malformed(.node, block: block, .badNodeType) }
        guard recordLevel <= 5 else { throw .malformed(.node, block: block, .badRecordLevel) }
        guard flags & ~Node.inlineDataFlag == 0 else { throw .malformed(.node, block: block, .badFlags) }
        if kind == .directory && hasInlineData { throw .malformed(.node, block: block, .inlineDirectory) }
    }
}

/// A node read in place: its block's bytes, each field decoded when asked for. Lookups and
/// walks that need a node's type and level pointers use it instead of decoding the whole node
/// (and copying its 3,968-byte data area).
public struct NodeView: NodeFields, Sendable {
    /// The bytes holding the node block as stored (4096 bytes from `offset`).
    public let bytes: [UInt8]
    /// Where the node block starts in `bytes` (0 unless the view is over a larger buffer, such as
    /// a run of node blocks read together).
    public let offset: Int

    /// A view over the node block at `offset` in `block`; nil when `block` holds less than a
    /// whole node block there.
    public init?(block: [UInt8], offset: Int = 0) {
        guard offset >= 0, block.count - offset >= RedoxFS.blockSize else { return nil }
        bytes = block
        self.offset = offset
    }

    public var mode: UInt16 { bytes.le16(at: offset) }
    public var uid: UInt32 { bytes.le32(at: offset + 2) }
    public var gid: UInt32 { bytes.le32(at: offset + 6) }
    public var links: UInt32 { bytes.le32(at: offset + 10) }
    public var size: UInt64 { bytes.le64(at: offset + 14) }
    public var blocks: UInt64 { bytes.le64(at: offset + 22) }
    public var recordLevel: UInt32 { bytes.le32(at: offset + 66) }
    public var flags: UInt32 { bytes.le32(at: offset + 70) }

    public func levelPointer(_ index: Int) -> BlockPointer {
        BlockPointer(bytes: bytes, at: offset + Node.dataOffset + index * 16)
    }

    public func levelPointersAreZero(_ indices: Range<Int>) -> Bool {
        bytes.isZero(shifted(indices.lowerBound * 16..<indices.upperBound * 16))
    }

    /// Whether the padding between the fields and the level area is zero (`Node.padding`).
    public var paddingIsZero: Bool {
        bytes.isZero(offset + Node.paddingRange.lowerBound..<offset + Node.paddingRange.upperBound)
    }

    /// Whether a directory's level area is zero beyond its two pointers.
    public var directoryExtraPointersAreZero: Bool { bytes.isZero(shifted(Node.directoryExtraPointerRange)) }

    /// Whether the inline area is zero beyond the node's size.
    public var inlineTailIsZero: Bool { bytes.isZero(shifted(Node.inlineTailRange(size: size))) }

    /// The first `count` bytes of the level (inline) area.
    public func inlineBytes(_ count: Int) -> [UInt8] {
        Array(bytes[offset + Node.dataOffset..<offset + Node.dataOffset + min(count, RedoxFS.inlineDataSize)])
    }

    /// A range of the level area as a range of `bytes`.
    private func shifted(_ range: Range<Int>) -> Range<Int> {
        (range.lowerBound + offset + Node.dataOffset)..<(range.upperBound + offset + Node.dataOffset)
    }

    /// The whole node, decoded.
    public var node: Node {
        offset == 0 && bytes.count == RedoxFS.blockSize
            ? Node(block: bytes) : Node(block: Array(bytes[offset..<offset + RedoxFS.blockSize]))
    }
}
