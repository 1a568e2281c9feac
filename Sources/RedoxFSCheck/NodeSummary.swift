import RedoxFS

/// What the checker keeps about one node of the tree (not the node itself: 4 KiB each would not
/// scale to millions of nodes).
struct NodeSummary: Sendable {
    enum State: Sendable, Equatable {
        /// Read and decoded; its fields are below.
        case readable
        /// The node block could not be read or verified, or shares its block with another structure.
        case unreadable
        /// Read, but its type is unknown (its level area cannot be interpreted).
        case unknownType
    }

    var state: State
    /// File-system block of the node.
    var block: UInt64
    var kind: NodeKind?
    var links: UInt32 = 0
    var size: UInt64 = 0
    var blocks: UInt64 = 0
    /// Record size in bytes (4096 << record_level).
    var recordSize: UInt64 = 4096
    /// Records covering the size (`Node.recordCount`).
    var recordCount: UInt64 = 0
    /// Index of the first record of the file that could not be read (for cutting the file).
    var firstBadRecord: UInt64?

    var isDirectory: Bool { state == .readable && kind == .directory }
    var isUsable: Bool { state == .readable }
}
