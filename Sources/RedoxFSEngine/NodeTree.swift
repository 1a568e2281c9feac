import RedoxFSFormat

/// Writing the node tree: saving, inserting and removing nodes (spec §7.3–§7.5, §12.5).
extension FileSystemEngine {
    /// The TreeLists on `id`'s path, root first (index 0 = level 3), with the pointers they were read from.
    func treePath(_ id: NodeID) throws(FileSystemError) -> (lists: [TreeList], pointers: [BlockPointer]) {
        var lists: [TreeList] = []
        var pointers: [BlockPointer] = []
        lists.reserveCapacity(4)
        pointers.reserveCapacity(4)
        var pointer = working.tree
        for level in stride(from: 3, through: 0, by: -1) {
            let list = try readTreeList(pointer)
            lists.append(list)
            pointers.append(pointer)
            pointer = level > 0 ? list.pointers[id.index(atLevel: level)] : .null
        }
        return (lists, pointers)
    }

    /// Writes the path's lists bottom-up (level 0 first), propagating "full" flags and freeing
    /// lists that became empty; ends with a new `working.tree`.
    func rewriteTreePath(_ id: NodeID, lists: [TreeList], pointers: [BlockPointer]) throws(FileSystemError) {
        treePathsSinceCommit.insert(id.rawValue)
        let oldTree = working.tree
        var child = BlockPointer.null
        var childFull = false
        var written: [(pointer: BlockPointer, list: TreeList)] = []
        written.reserveCapacity(4)
        for level in 0...3 {
            var list = lists[3 - level]
            if level > 0 {
                let index = id.index(atLevel: level)
                list.pointers[index] = child
                list.setFlag(index, childFull)
            }
            let old = pointers[3 - level]
            if list.isEmpty {
                free(old.address)
                child = .null
                childFull = false
            } else {
                child = try rewriteBlock(old, with: list.encode(), provisional: true)
                childFull = list.isFull
                written.append((child, list))
            }
        }
        recentTreeLists = written
        working.tree = child
        cache.nodePathRewritten(id.rawValue, pointer: lists[3].pointers[id.index(atLevel: 0)], from: oldTree, to: child)
    }

    /// Node `id`'s place in the tree: its id, the four lists of its path (root first) and their
    /// pointers, its slot in the lowest list and the node's pointer there (noSuchNode when the
    /// id is out of range or the slot is empty).
    private func occupiedSlot(_ id: UInt32) throws(FileSystemError)
        -> (NodeID, [TreeList], [BlockPointer], Int, BlockPointer) {
        let nodeID = NodeID(id)
        guard nodeID.isAddressable else { throw .format(.noSuchNode(id)) }
        let (lists, pointers) = try treePath(nodeID)
        let slot = nodeID.index(atLevel: 0)
        let old = lists[3].pointers[slot]
        guard !old.isNull else { throw .format(.noSuchNode(id)) }
        return (nodeID, lists, pointers, slot, old)
    }

    /// Stores `node` as node `id` (nothing is written when its bytes are unchanged).
    func saveNode(_ id: UInt32, _ node: Node) throws(FileSystemError) {
        let (nodeID, path, pointers, slot, old) = try occupiedSlot(id)
        var lists = path
        let encoded = node.encode()
        if let current = try? withReader({ (reader) throws(FormatError) in try reader.reader.read(old, as: .node) }),
           current.count == encoded.count, current.matches(encoded, at: 0) {
            return
        }
        let pointer = try rewriteBlock(old, with: encoded, provisional: true)
        rememberSaved(node, at: pointer)
        lists[3].pointers[slot] = pointer
        try rewriteTreePath(nodeID, lists: lists, pointers: pointers)
    }

    /// Keeps the node just stored at `pointer` decoded, as reading it back would give it.
    private func rememberSaved(_ node: Node, at pointer: BlockPointer) {
        guard node.padding.count == Node.paddingRange.count, node.data.count == RedoxFS.inlineDataSize,
              (try? node.validate(block: pointer.address.index)) != nil else { return }
        cache.rememberNode(node, index: pointer.address.index, hash: pointer.hash)
    }

    /// Inserts `node` at the lowest free id and returns the id.
    func insertNode(_ node: Node) throws(FileSystemError) -> UInt32 {
        let root = try readTreeList(working.tree)
        for i3 in 0..<TreeList.entryCount where !root.flag(i3) {
            let l2 = try readTreeList(root.pointers[i3])
            for i2 in 0..<TreeList.entryCount where !l2.flag(i2) {
                let l1 = try readTreeList(l2.pointers[i2])
                for i1 in 0..<TreeList.entryCount where !l1.flag(i1) {
                    var l0 = try readTreeList(l1.pointers[i1])
                    for i0 in 0..<TreeList.entryCount where !l0.flag(i0) {
                        guard l0.pointers[i0].isNull else { continue }
                        if i3 == 0 && i2 == 0 && i1 == 0 && i0 == 0 {
                            l0.setFlag(0, true)  // id 0 is reserved
                            continue
                        }
                        let id = NodeID(indices: i3, i2, i1, i0)
                        let pointer = try writeBlock(node.encode(), provisional: true)
                        rememberSaved(node, at: pointer)
                        l0.pointers[i0] = pointer
                        l0.setFlag(i0, true)
                        try rewriteTreePath(
                            id, lists: [root, l2, l1, l0],
                            pointers: [working.tree, root.pointers[i3], l2.pointers[i2], l1.pointers[i1]])
                        return id.rawValue
                    }
                }
            }
        }
        throw .system(operation: "create", path: "node tree", errno: POSIXCode.ENOSPC)
    }

    /// Removes node `id`'s tree slot and frees its node block (its content must be freed already).
    func removeNode(_ id: UInt32) throws(FileSystemError) {
        let (nodeID, path, pointers, slot, old) = try occupiedSlot(id)
        var lists = path
        lists[3].pointers[slot] = .null
        lists[3].setFlag(slot, false)
        free(old.address)
        try rewriteTreePath(nodeID, lists: lists, pointers: pointers)
    }

    /// Stores `node` as node `id` and removes node `removed`'s slot (freeing its node block; its
    /// content must be freed already) in one rewrite of both tree paths: the lists the paths
    /// share (the root at least) are written once, not twice. An unlink's directory save and the
    /// removal of the node it named.
    func saveNode(_ id: UInt32, _ node: Node, removingNode removed: UInt32) throws(FileSystemError) {
        guard id != removed else { throw .invalidArgument("node \(id) cannot be saved and removed at once") }
        let (savedID, savedPath, savedPointers, savedSlot, savedOld) = try occupiedSlot(id)
        let (removedID, removedPath, removedPointers, removedSlot, removedOld) = try occupiedSlot(removed)
        // No check for unchanged bytes (as `saveNode(_:_:)` makes): the directory that lost a
        // name always changed (its entries' pointer carries the new leaf's hash, and its times).
        let saved = try rewriteBlock(savedOld, with: node.encode(), provisional: true)
        rememberSaved(node, at: saved)
        free(removedOld.address)
        treePathsSinceCommit.insert(savedID.rawValue)
        treePathsSinceCommit.insert(removedID.rawValue)
        let oldTree = working.tree
        // The list at `level` is shared when the ids agree above it (the root always is).
        func shared(_ level: Int) -> Bool { savedID.rawValue >> UInt32(8 * (level + 1)) == removedID.rawValue >> UInt32(8 * (level + 1)) }
        var savedChild = saved, savedFull = true
        var removedChild = BlockPointer.null, removedFull = false
        var written: [(pointer: BlockPointer, list: TreeList)] = []
        written.reserveCapacity(8)
        // One list, its child on each path set (`savedPath` and `removedPath`), written or freed.
        func write(_ list: TreeList, from old: BlockPointer, level: Int, saved: Bool, removed: Bool) throws(FileSystemError)
            -> (BlockPointer, Bool) {
            var list = list
            if level == 0 {
                if saved { list.pointers[savedSlot] = savedChild }
                if removed {
                    list.pointers[removedSlot] = .null
                    list.setFlag(removedSlot, false)
                }
            } else {
                if saved {
                    let index = savedID.index(atLevel: level)
                    list.pointers[index] = savedChild
                    list.setFlag(index, savedFull)
                }
                if removed {
                    let index = removedID.index(atLevel: level)
                    list.pointers[index] = removedChild
                    list.setFlag(index, removedFull)
                }
            }
            // A list on the saved path holds the saved child (never null): only a list on the
            // removed path alone can have become empty.
            if !saved && list.isEmpty {
                free(old.address)
                return (.null, false)
            }
            let pointer = try rewriteBlock(old, with: list.encode(), provisional: true)
            written.append((pointer, list))
            return (pointer, list.isFull)
        }
        for level in 0...3 {
            let at = 3 - level
            if shared(level) {
                let (child, full) = try write(savedPath[at], from: savedPointers[at], level: level, saved: true, removed: true)
                (savedChild, savedFull) = (child, full)
                (removedChild, removedFull) = (child, full)
            } else {
                (savedChild, savedFull) = try write(savedPath[at], from: savedPointers[at], level: level, saved: true, removed: false)
                (removedChild, removedFull) = try write(
                    removedPath[at], from: removedPointers[at], level: level, saved: false, removed: true)
            }
        }
        recentTreeLists = written
        working.tree = savedChild
        cache.nodePathRewritten(savedID.rawValue, pointer: saved, from: oldTree, to: savedChild)
        cache.nodePathRewritten(removedID.rawValue, pointer: .null, from: savedChild, to: savedChild)
    }

    /// The TreeList `pointer` names: one of the path written last (the next save or insert
    /// walks the same upper lists) or read through the cache.
    func readTreeList(_ pointer: BlockPointer) throws(FileSystemError) -> TreeList {
        if pointer.isNull { return TreeList() }
        for recent in recentTreeLists where recent.pointer == pointer { return recent.list }
        return try withReader { (reader) throws(FormatError) in TreeList(block: try reader.reader.read(pointer, as: .treeList)) }
    }
}
