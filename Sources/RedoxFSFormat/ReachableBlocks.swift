/// What a reachable block is and where it hangs in the structure graph (spec §7–§11).
public enum BlockRole: Equatable, Sendable {
    /// A tree list at `level` (3 = the root list) covering the node ids that start with `prefix`.
    case treeList(level: Int, prefix: UInt32)
    /// The block of node `id`.
    case node(id: UInt32)
    /// An indirect list of node `node`, `depth` levels above its records (1 = it names records),
    /// covering the records from `firstRecord`.
    case blockList(node: UInt32, depth: Int, firstRecord: UInt64)
    /// Record `index` of node `node`.
    case record(node: UInt32, index: UInt64)
    /// A hash-tree index block of directory `node`, `depth` levels above its leaves.
    case directoryIndex(node: UInt32, depth: Int)
    /// A leaf (entry) block of directory `node`.
    case directoryLeaf(node: UInt32)
    /// Block `position` of the allocation log, counted from the newest (0).
    case allocList(position: Int)
    /// Block `position` of the release list, counted from the newest (0).
    case releaseList(position: Int)

    /// The structure the block holds.
    public var structure: Structure {
        switch self {
        case .treeList: return .treeList
        case .node: return .node
        case .blockList: return .blockList
        case .record: return .record
        case .directoryIndex: return .hTreeNode
        case .directoryLeaf: return .dirList
        case .allocList: return .allocList
        case .releaseList: return .releaseList
        }
    }

    /// The node whose content (or node block) this is, if any.
    public var nodeID: UInt32? {
        switch self {
        case .node(let id), .blockList(let id, _, _), .record(let id, _), .directoryIndex(let id, _), .directoryLeaf(let id):
            return id
        case .treeList, .allocList, .releaseList:
            return nil
        }
    }
}

/// Receives the blocks of a walk over what a header reaches. The walk knows the format's topology
/// (which pointers a block holds and what they name); the visitor decides how to read, verify,
/// count or report, and whether to go below a block.
public protocol BlockVisitor {
    associatedtype Failure: Error
    /// Called for every non-null pointer the walk reaches. Returns the block's plaintext to walk
    /// the pointers it holds (tree lists, nodes, indirect lists, index blocks, log blocks), or nil
    /// to go no further below it. What is returned for records and leaves is not used.
    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) throws(Failure) -> [UInt8]?
    /// Called after everything below a block that `visit` returned bytes for has been walked.
    mutating func leave(_ pointer: BlockPointer, as role: BlockRole) throws(Failure)
}

extension BlockVisitor {
    @inlinable
    public mutating func leave(_ pointer: BlockPointer, as role: BlockRole) throws(Failure) {}
}

/// The one walk over the blocks reachable from a header, shared by the engine's block usage, the
/// checker's passes, the repair's collectors and the salvage: every place that follows pointers
/// follows them here.
public enum ReachableBlocks {
    /// Walks the node tree from its root list `tree`: every tree list, then each node pointer
    /// (`.node`), and, when the visitor returns a node's bytes, that node's content.
    @inlinable
    public static func walkTree<Visitor: BlockVisitor>(
        _ tree: BlockPointer, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        guard !tree.isNull else { return }
        try walkTreeList(tree, level: 3, prefix: 0, visitor: &visitor)
    }

    @inlinable
    static func walkTreeList<Visitor: BlockVisitor>(
        _ pointer: BlockPointer, level: Int, prefix: UInt32, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        let role = BlockRole.treeList(level: level, prefix: prefix)
        guard let bytes = try visitor.visit(pointer, as: role) else { return }
        let list = TreeList(block: bytes)
        for (i, child) in list.pointers.enumerated() where !child.isNull {
            let id = prefix | UInt32(i) << UInt32(8 * level)
            if level > 0 {
                try walkTreeList(child, level: level - 1, prefix: id, visitor: &visitor)
            } else {
                try walkNode(child, id: id, visitor: &visitor)
            }
        }
        try visitor.leave(pointer, as: role)
    }

    /// Visits node `id`'s block and, when the visitor returns its bytes, walks its content.
    @inlinable
    public static func walkNode<Visitor: BlockVisitor>(
        _ pointer: BlockPointer, id: UInt32, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        let role = BlockRole.node(id: id)
        guard let bytes = try visitor.visit(pointer, as: role) else { return }
        if let node = NodeView(block: bytes) { try walkContent(of: node, id: id, visitor: &visitor) }
        try visitor.leave(pointer, as: role)
    }

    /// Walks what node `id`'s level area names: a directory's hash tree (when its marker is
    /// valid), or a file's indirect lists and records (every tier, stale records included);
    /// nothing for inline nodes and nodes of no known type.
    @inlinable
    public static func walkContent<Visitor: BlockVisitor, Fields: NodeFields>(
        of node: Fields, id: UInt32, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        guard let kind = node.kind, !node.hasInlineData else { return }
        if kind == .directory {
            let marker = node.levelPointer(0)
            let top = node.levelPointer(1)
            guard marker.isMarker, !top.isNull else { return }
            try walkDirectory(top, depth: Int(marker.markerDepth), id: id, visitor: &visitor)
            return
        }
        var first: UInt64 = 0
        for tier in RecordPath.tiers {
            let span = UInt64(1) << (8 * UInt64(tier.depth))
            var k = 0
            while k < tier.count {
                // Runs of all-zero pointers (most of a small file's level area) are passed over
                // a group at a time.
                let group = min(zeroGroup, tier.count - k)
                if k % zeroGroup == 0, node.levelPointersAreZero(tier.first + k..<tier.first + k + group) {
                    k += group
                    continue
                }
                let pointer = node.levelPointer(tier.first + k)
                if !pointer.isNull {
                    try walkRecords(pointer, depth: tier.depth, first: first + UInt64(k) * span, id: id, visitor: &visitor)
                }
                k += 1
            }
            first += UInt64(tier.count) * span
        }
    }

    /// Level pointers tested for zero at once by `walkContent`.
    @usableFromInline static let zeroGroup = 16

    @inlinable
    static func walkRecords<Visitor: BlockVisitor>(
        _ pointer: BlockPointer, depth: Int, first: UInt64, id: UInt32, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        guard depth > 0 else {
            _ = try visitor.visit(pointer, as: .record(node: id, index: first))
            return
        }
        let role = BlockRole.blockList(node: id, depth: depth, firstRecord: first)
        guard let bytes = try visitor.visit(pointer, as: role) else { return }
        let span = UInt64(1) << (8 * UInt64(depth - 1))
        for (i, child) in BlockList(block: bytes).pointers.enumerated() where !child.isNull {
            try walkRecords(child, depth: depth - 1, first: first + UInt64(i) * span, id: id, visitor: &visitor)
        }
        try visitor.leave(pointer, as: role)
    }

    @inlinable
    static func walkDirectory<Visitor: BlockVisitor>(
        _ pointer: BlockPointer, depth: Int, id: UInt32, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        guard depth > 0 else {
            _ = try visitor.visit(pointer, as: .directoryLeaf(node: id))
            return
        }
        let role = BlockRole.directoryIndex(node: id, depth: depth)
        guard let bytes = try visitor.visit(pointer, as: role) else { return }
        for slot in HTreeNode(block: bytes).slots {
            try walkDirectory(slot.pointer, depth: depth - 1, id: id, visitor: &visitor)
        }
        try visitor.leave(pointer, as: role)
    }

    /// Walks the allocation log chain from its newest block; stops where the visitor returns nil.
    @inlinable
    public static func walkAllocationLog<Visitor: BlockVisitor>(
        _ newest: BlockPointer, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        try walkChain(newest, visitor: &visitor, role: BlockRole.allocList) { AllocList(block: $0).previous }
    }

    /// Walks the release list chain from its newest block; stops where the visitor returns nil.
    @inlinable
    public static func walkReleaseList<Visitor: BlockVisitor>(
        _ newest: BlockPointer, visitor: inout Visitor
    ) throws(Visitor.Failure) {
        try walkChain(newest, visitor: &visitor, role: BlockRole.releaseList) { ReleaseList(block: $0).previous }
    }

    /// Follows a chain of blocks linked newest to oldest by the pointer `previous` reads.
    @inlinable
    static func walkChain<Visitor: BlockVisitor>(
        _ newest: BlockPointer, visitor: inout Visitor, role: (Int) -> BlockRole, previous: ([UInt8]) -> BlockPointer
    ) throws(Visitor.Failure) {
        var pointer = newest
        var position = 0
        while !pointer.isNull, let bytes = try visitor.visit(pointer, as: role(position)) {
            pointer = previous(bytes)
            position += 1
        }
    }
}
