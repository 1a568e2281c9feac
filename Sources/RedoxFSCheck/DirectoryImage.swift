import RedoxFS

/// A directory as read in pass 2: its index blocks, leaves and entries, kept so that pass 3 can
/// check the hash-tree invariants and the entries without reading anything again.
struct DirectoryImage: Sendable {
    /// A child of an index slot.
    enum Child: Sendable {
        case index(Int)
        case leaf(Int)
        /// Not read: unreadable, or already claimed by another structure.
        case missing
    }

    /// One hash-tree index block.
    struct IndexBlock: Sendable {
        var block: UInt64
        /// The slots in use (before the first null pointer), with their children.
        var slots: [HTreeSlot]
        var children: [Child]
        /// A non-null pointer follows a null one.
        var slotsNotPrefix: Bool
        /// An empty slot is not hash FFFFFFFF with 16 zero bytes.
        var badEmptySlot: Bool
        /// Bytes 4080..4095 are not zero.
        var paddingNonZero: Bool
    }

    /// One DirList.
    struct Leaf: Sendable {
        var block: UInt64
        /// The range of `entries` it holds.
        var entries: Range<Int>
        /// Why the block did not decode, if it did not.
        var malformation: Malformation?
    }

    /// The directory's marker: nil when level0[0] is all zero (empty directory).
    var depth: Int?
    /// level0[0] is neither zero nor a marker.
    var badMarker = false
    /// level0[0] is zero but level0[1] is not.
    var strayPointer = false
    /// The node's stored size.
    var size: UInt64 = 0
    var root: Child?
    var indexBlocks: [IndexBlock] = []
    var leaves: [Leaf] = []
    var entries: [DirectoryEntry] = []
    /// Blocks linked into the directory (read or not), for the size check.
    var linkedBlocks: UInt64 = 0
    /// Some block of the directory could not be read: entries may be missing.
    var incomplete = false
}
