import RedoxFS

/// Pass 2: the node tree and every node (spec §15.1 items 7–9, 11, 17–23, 26–28). Walks the four
/// levels of tree lists, checks their flags, then reads every node and everything reachable from
/// it: records (decrypted, hash-checked, decompressed), indirect lists, directory blocks.
struct TreePass {
    static func run(_ context: inout CheckContext) throws(CheckError) {
        var pointers: [(id: UInt32, pointer: BlockPointer)] = []
        let tree = context.header.tree
        if !tree.isNull {
            _ = walk(tree, level: 3, prefix: 0, place: "the root tree list", context: &context, into: &pointers)
        }
        try context.checkCancelled()
        context.statistics.nodes = UInt64(pointers.count)
        let total = UInt64(pointers.count)
        for (done, entry) in pointers.enumerated() {
            if done % 64 == 0 { try context.checkCancelled() }
            NodeCheck.check(entry.id, pointer: entry.pointer, context: &context)
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

    /// Walks the tree list `pointer` at `level` (3 = root) whose ids start with `prefix`; appends the
    /// node pointers found. Returns whether the list is full by its stored flags, nil if unreadable.
    private static func walk(
        _ pointer: BlockPointer, level: Int, prefix: UInt32, place: String, context: inout CheckContext,
        into pointers: inout [(id: UInt32, pointer: BlockPointer)]
    ) -> Bool? {
        let read = context.read(pointer, as: .treeList, owner: .nodeTree, where: place, fix: .rebuildTreeFlags)
        guard case .bytes(let bytes) = read else { return nil }
        let list = TreeList(block: bytes)
        let block = pointer.address.index
        var mismatched: [Int] = []
        var empty = true
        for i in 0..<TreeList.entryCount {
            let child = list.pointers[i]
            let flag = list.flag(i)
            let id = prefix | UInt32(i) << UInt32(8 * level)
            if child.isNull {
                // Entry 0 of the first level-0 list is id 0: its flag may be set with a null pointer.
                let reserved = level == 0 && id == 0
                if flag && !reserved { mismatched.append(i) }
                continue
            }
            empty = false
            if level == 0 {
                if id == 0 {
                    context.report(
                        .treeFlagMismatch, "the level-0 tree list at block \(block) names a node for id 0, which is reserved",
                        block: block, structure: .treeList, fix: .rebuildTreeFlags)
                    continue
                }
                if !flag { mismatched.append(i) }
                pointers.append((id, child))
            } else {
                let childPlace = "entry \(i) of the level-\(level) tree list at block \(block)"
                let full = walk(child, level: level - 1, prefix: id, place: childPlace, context: &context, into: &pointers)
                if let full, full != flag { mismatched.append(i) }
            }
        }
        if list.flag(254) || list.flag(255) {
            context.report(
                .treeReservedFlagSet, "the level-\(level) tree list at block \(block) sets the flag of entry 254 or 255",
                block: block, structure: .treeList, fix: .rebuildTreeFlags)
        }
        if !mismatched.isEmpty {
            let meaning = level == 0 ? "occupied" : "child full"
            let shown = mismatched.prefix(8).map(String.init).joined(separator: ", ") + (mismatched.count > 8 ? ", …" : "")
            context.report(
                .treeFlagMismatch,
                "the level-\(level) tree list at block \(block) has \(mismatched.count) \"\(meaning)\" flag(s) that disagree with its entries (\(shown))",
                block: block, structure: .treeList, fix: .rebuildTreeFlags)
        }
        if empty {
            context.report(
                .treeEmptyList, "the level-\(level) tree list at block \(block) (\(place)) has no entries but is still linked",
                block: block, structure: .treeList, fix: .rebuildTreeFlags)
        }
        return list.isFull
    }
}
