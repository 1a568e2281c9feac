import RedoxFS

/// Pass 2: the node tree and every node (spec §15.1 items 7–9, 11, 17–23, 26–28). Walks the four
/// levels of tree lists (through the shared walk, `ReachableBlocks`), checks their flags, then
/// reads every node and everything reachable from it: records (decrypted, hash-checked,
/// decompressed), indirect lists, directory blocks.
struct TreePass: BlockVisitor {
    /// A tree list being walked.
    private struct OpenList {
        var block: UInt64
        var level: Int
        var list: TreeList
        /// Entries whose flag disagrees with what they hold.
        var mismatched: [Int] = []
    }

    var context: CheckContext
    /// The node pointers found, in tree order.
    private var pointers: [(id: UInt32, pointer: BlockPointer)] = []
    private var open: [OpenList] = []
    /// Where the children of each tree list above level 0 are asked for before the walk descends.
    private let hints: ReadHints?
    private var hinted: [(start: UInt64, count: UInt64)] = []
    /// Where the node blocks of the first `walkHintedNodes` nodes are asked for as their lists
    /// are read (nil: no hints); the prefetcher asks for the rest.
    private let nodeHints: HintQueue?
    /// Node blocks of the level-0 list being walked, not yet submitted.
    private var nodeRanges: [(start: UInt64, count: UInt64)] = []

    /// Nodes whose blocks the walk asks for (the rest are asked for by `NodePrefetcher`, which
    /// keeps within a bound of the workers): 64 of its chunks.
    static let walkHintedNodes = 64 * NodePrefetcher.chunkSize

    private init(context: consuming CheckContext) {
        hints = context.reader.readHints
        nodeHints = HintQueue(hints: hints)
        self.context = context
    }

    static func run(_ context: inout CheckContext) throws(CheckError) {
        let tree = context.header.tree
        var pass = TreePass(context: consume context)
        ReachableBlocks.walkTree(tree, visitor: &pass)
        let nodeHints = pass.nodeHints
        context = pass.context
        let pointers = pass.pointers
        defer { nodeHints?.close() }
        // The walk asked for the first nodes, unless it found them cached (a warm check).
        let hintedByWalk = nodeHints.map { $0.isWarm ? 0 : min(pointers.count, walkHintedNodes) } ?? 0
        try context.checkCancelled()
        context.statistics.nodes = UInt64(pointers.count)
        context.prepareNodeTables(ids: pointers.map(\.id))
        context.nodeOrder.reserveCapacity(pointers.count)
        // Every node claims its block, and most own a record or a directory block or more.
        context.claims.reserveCapacity(context.claims.claims.count + 2 * pointers.count)
        let total = UInt64(pointers.count)
        // Node blocks are read and verified ahead on the other cores (the checks stay in order here).
        let prefetcher = NodePrefetcher(
            reader: context.reader, pointers: pointers.map(\.pointer),
            workerCount: max(1, context.options.prefetchWorkers), hintedAlready: hintedByWalk)
        defer { prefetcher?.finish() }
        for (done, entry) in pointers.enumerated() {
            if done % 64 == 0 { try context.checkCancelled() }
            let prefetched = prefetcher?.outcome(at: done)
            NodeCheck.check(
                entry.id, pointer: entry.pointer, prefetched: prefetched?.outcome, scan: prefetched?.scan, context: &context)
            context.progress(.tree, done: UInt64(done + 1), total: total)
        }
        if let root = context.nodes[RedoxFS.rootNodeID] {
            if root.state == .readable, root.kind != .directory {
                context.report(
                    .rootNotDirectory, "node 1, the root, is not a directory", block: root.block, structure: .node,
                    node: RedoxFS.rootNodeID, fix: .recreateRoot)
            }
        } else if !tree.isNull {
            context.report(
                .rootMissing, "node 1, the root directory, is not in the node tree", structure: .treeList, fix: .recreateRoot)
        }
    }

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
        switch role {
        case .treeList(let level, let prefix): return treeList(pointer, level: level, prefix: prefix)
        case .node(let id):
            // Id 0 is reserved: reported with its tree list.
            if id != 0 {
                pointers.append((id, pointer))
                if let nodeHints, pointers.count <= Self.walkHintedNodes, !nodeHints.isWarm,
                    (try? checkPointer(pointer, as: .node, blockCount: context.header.blockCount)) != nil
                {
                    nodeRanges.append((pointer.address.index, pointer.address.blockCount))
                }
            }
        default: break
        }
        return nil
    }

    mutating func leave(_ pointer: BlockPointer, as role: BlockRole) {
        if !nodeRanges.isEmpty {
            nodeHints?.submit(nodeRanges)
            nodeRanges.removeAll(keepingCapacity: true)
        }
        guard case .treeList = role, let list = open.popLast(), !list.mismatched.isEmpty else { return }
        let mismatched = list.mismatched.sorted()
        let meaning = list.level == 0 ? "occupied" : "child full"
        let shown = mismatched.prefix(8).map(String.init).joined(separator: ", ") + (mismatched.count > 8 ? ", …" : "")
        context.report(
            .treeFlagMismatch,
            "the level-\(list.level) tree list at block \(list.block) has \(mismatched.count) \"\(meaning)\" flag(s) that disagree with its entries (\(shown))",
            block: list.block, structure: .treeList, fix: .rebuildTreeFlags)
    }

    /// Asks for the blocks of the lists `list` names (a level above 0) all at once: the walk then
    /// reads them one after another from the page cache instead of waiting for each in turn.
    private mutating func hintChildren(of list: TreeList, level: Int) {
        guard let hints else { return }
        hinted.removeAll(keepingCapacity: true)
        for i in 0..<TreeList.entryCount {
            let child = list.pointers[i]
            guard !child.isNull, (try? checkPointer(child, as: .treeList, blockCount: context.header.blockCount)) != nil
            else { continue }
            hinted.append((child.address.index, max(child.address.blockCount, CheckBlockReader.readAheadBlocks)))
        }
        hints.willNeed(&hinted)
    }

    /// Reads and checks the tree list at `level` whose ids start with `prefix`; returns its bytes
    /// when its entries are to be walked.
    private mutating func treeList(_ pointer: BlockPointer, level: Int, prefix: UInt32) -> [UInt8]? {
        var place = "the root tree list"
        var entryInParent: Int?
        if let parent = open.last {
            let entry = NodeID(prefix).index(atLevel: parent.level)
            entryInParent = entry
            place = "entry \(entry) of the level-\(parent.level) tree list at block \(parent.block)"
        }
        let read = context.read(pointer, as: .treeList, owner: .nodeTree, where: place, fix: .rebuildTreeFlags)
        guard case .bytes(let bytes) = read else { return nil }
        let list = TreeList(block: bytes)
        let block = pointer.address.index
        // The parent's "child full" flag must say whether this list is full by its own flags.
        if let entry = entryInParent, list.isFull != open[open.count - 1].list.flag(entry) {
            open[open.count - 1].mismatched.append(entry)
        }
        var current = OpenList(block: block, level: level, list: list)
        var empty = true
        for i in 0..<TreeList.entryCount {
            let child = list.pointers[i]
            let flag = list.flag(i)
            let id = prefix | UInt32(i) << UInt32(8 * level)
            if child.isNull {
                // Entry 0 of the first level-0 list is id 0: its flag may be set with a null pointer.
                let reserved = level == 0 && id == 0
                if flag && !reserved { current.mismatched.append(i) }
                continue
            }
            empty = false
            guard level == 0 else { continue }
            if id == 0 {
                context.report(
                    .treeFlagMismatch, "the level-0 tree list at block \(block) names a node for id 0, which is reserved",
                    block: block, structure: .treeList, fix: .rebuildTreeFlags)
            } else if !flag {
                current.mismatched.append(i)
            }
        }
        if level > 0 { hintChildren(of: list, level: level) }
        if list.flag(254) || list.flag(255) {
            context.report(
                .treeReservedFlagSet, "the level-\(level) tree list at block \(block) sets the flag of entry 254 or 255",
                block: block, structure: .treeList, fix: .rebuildTreeFlags)
        }
        if empty {
            context.report(
                .treeEmptyList, "the level-\(level) tree list at block \(block) (\(place)) has no entries but is still linked",
                block: block, structure: .treeList, fix: .rebuildTreeFlags)
        }
        open.append(current)
        return bytes
    }
}
