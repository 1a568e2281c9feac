import RedoxFSFormat

/// Adding and removing directory entries, with the hash tree growing as upstream grows it
/// (spec §10.6, §10.8). The directory node passed in is updated (pointers, size, blocks);
/// the caller saves it.
extension FileSystemEngine {
    /// Adds `entry` to `directory`. The caller has checked the name and that it is not present.
    func insertEntry(_ entry: DirectoryEntry, into directory: inout Node) throws(FileSystemError) {
        let hash = directoryNameHash(entry.name)
        if directory.levelPointer(0).isZero {
            directory.setLevelPointer(0, .marker(depth: 0))
            let leaf = try writeBlock(DirList().encode(), charging: &directory)
            directory.setLevelPointer(1, leaf)
            directory.size += UInt64(RedoxFS.blockSize)
        }
        let depth = Int(directory.levelPointer(0).markerDepth)
        if depth == 0 {
            var root = HTreeNode(slots: [HTreeSlot(hash: .max - 1, pointer: directory.levelPointer(1))])
            let sibling = try insert(entry, hash: hash, into: &root, depth: 1, owner: &directory)
            precondition(sibling == nil, "a one-slot index cannot overflow")
            if root.slots.count == 1 {
                directory.setLevelPointer(1, root.slots[0].pointer)
            } else {
                let index = try writeBlock(root.encode(), charging: &directory)
                directory.setLevelPointer(1, index)
                directory.setLevelPointer(0, .marker(depth: 1))
                directory.size += UInt64(RedoxFS.blockSize)
            }
            return
        }
        let oldRoot = directory.levelPointer(1)
        var root = try readIndex(oldRoot)
        if let sibling = try insert(entry, hash: hash, into: &root, depth: depth, owner: &directory) {
            let siblingPointer = try writeBlock(sibling.encode(), charging: &directory)
            let rootPointer = try writeBlock(root.encode(), charging: &directory)
            release(oldRoot, charging: &directory)
            var top = HTreeNode(slots: [
                HTreeSlot(hash: root.maximumHash, pointer: rootPointer),
                HTreeSlot(hash: sibling.maximumHash, pointer: siblingPointer),
            ])
            top.slots.sort { $0.hash < $1.hash }
            guard depth < 15 else { throw .system(operation: "insert", path: "directory index", errno: POSIXCode.ENOSPC) }
            let topPointer = try writeBlock(top.encode(), charging: &directory)
            directory.setLevelPointer(1, topPointer)
            directory.setLevelPointer(0, .marker(depth: UInt8(depth + 1)))
            directory.size += 2 * UInt64(RedoxFS.blockSize)
        } else {
            directory.setLevelPointer(1, try rewriteBlock(oldRoot, with: root.encode()))
        }
    }

    /// Inserts below `node` (an index block at `depth` ≥ 1, updated in place and not written);
    /// returns a new sibling index block when `node` had to split.
    private func insert(
        _ entry: DirectoryEntry, hash: UInt32, into node: inout HTreeNode, depth: Int, owner: inout Node
    ) throws(FileSystemError) -> HTreeNode? {
        guard !node.slots.isEmpty else { throw .format(.malformed(.hTreeNode, block: 0, .fieldOutOfRange)) }
        let choice = node.slots.firstIndex { $0.hash >= hash } ?? node.slots.count - 1
        var slot = node.slots[choice]
        var newSlot: HTreeSlot?
        if depth == 1 {
            let stored = try readLeafBytes(slot.pointer)
            let appended: [UInt8]?
            do { appended = try DirList.appending(entry, to: stored, at: slot.pointer.address.index) } catch { throw .format(error) }
            if let appended {
                // Appended in place: the leaf keeps its address while this transaction owns it.
                slot = HTreeSlot(hash: max(slot.hash, hash), pointer: try rewriteBlock(slot.pointer, with: appended))
            } else {
                let leaf: DirList
                do { leaf = try DirList(block: stored, at: slot.pointer.address.index) } catch { throw .format(error) }
                var all = leaf.entries + [entry]
                all = stableSorted(all) { directoryNameHash($0.name) }
                let split = splitPoint(all.map { directoryNameHash($0.name) }, half: all.count / 2, exclusiveRun: true)
                let left = DirList(entries: Array(all[0..<split]))
                let right = DirList(entries: Array(all[split...]))
                guard left.used <= DirList.capacity, right.used <= DirList.capacity, !right.entries.isEmpty else {
                    throw .system(operation: "insert", path: "directory (too many names share one hash)", errno: POSIXCode.ENOSPC)
                }
                let leftPointer = try writeBlock(left.encode(), charging: &owner)
                release(slot.pointer, charging: &owner)
                let rightPointer = try writeBlock(right.encode(), charging: &owner)
                owner.size += UInt64(RedoxFS.blockSize)
                slot = HTreeSlot(hash: directoryNameHash(all[split - 1].name), pointer: leftPointer)
                newSlot = HTreeSlot(hash: directoryNameHash(all[all.count - 1].name), pointer: rightPointer)
            }
        } else {
            var child = try readIndex(slot.pointer)
            let sibling = try insert(entry, hash: hash, into: &child, depth: depth - 1, owner: &owner)
            slot = HTreeSlot(hash: child.maximumHash, pointer: try rewriteBlock(slot.pointer, with: child.encode()))
            if let sibling {
                newSlot = HTreeSlot(hash: sibling.maximumHash, pointer: try writeBlock(sibling.encode(), charging: &owner))
                owner.size += UInt64(RedoxFS.blockSize)
            }
        }
        node.slots[choice] = slot
        guard let newSlot else { return nil }
        if node.slots.count < HTreeNode.slotCount {
            node.slots.append(newSlot)
            node.slots = stableSorted(node.slots) { $0.hash }
            return nil
        }
        let all = stableSorted(node.slots + [newSlot]) { $0.hash }
        let split = splitPoint(all.map { $0.hash }, half: 102, exclusiveRun: false)
        node.slots = Array(all[0..<split])
        return HTreeNode(slots: Array(all[split...]))
    }

    /// The split position of the spec: keep runs of equal hashes together where possible.
    private func splitPoint(_ hashes: [UInt32], half: Int, exclusiveRun: Bool) -> Int {
        let pivot = hashes[half]
        var first = half
        while first > 0 && hashes[first - 1] == pivot { first -= 1 }
        var last = half
        while last + 1 < hashes.count && hashes[last + 1] == pivot { last += 1 }
        if exclusiveRun { last += 1 }
        var split = (half - first) < (last - half) ? first : last
        split = max(split, 1)
        return min(split, hashes.count - 1)
    }

    private func stableSorted<T>(_ items: [T], by key: (T) -> UInt32) -> [T] {
        items.enumerated().sorted { a, b in
            let ka = key(a.element), kb = key(b.element)
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map { $0.element }
    }

    /// Removes `name` from `directory`; returns the node id it named, or nil when absent.
    func removeEntry(named name: [UInt8], from directory: inout Node) throws(FileSystemError) -> UInt32? {
        let marker = directory.levelPointer(0)
        if marker.isZero { return nil }
        guard marker.isMarker else { throw .format(.malformed(.node, block: 0, .badMarker)) }
        let depth = Int(marker.markerDepth)
        guard let result = try remove(
            name, hash: directoryNameHash(name), at: directory.levelPointer(1), bound: nil, depth: depth, owner: &directory) else {
            return nil
        }
        if let pointer = result.pointer {
            directory.setLevelPointer(1, pointer)
        } else {
            directory.setLevelPointer(0, .null)
            directory.setLevelPointer(1, .null)
        }
        return result.id
    }

    /// Removes below `pointer`; returns the removed id and the block's new pointer (nil: emptied
    /// and freed) with its new maximum hash. `bound`: the hash of the slot naming `pointer` (nil
    /// at the top, where the maximum is not needed).
    private func remove(
        _ name: [UInt8], hash: UInt32, at pointer: BlockPointer, bound: UInt32?, depth: Int, owner: inout Node
    ) throws(FileSystemError) -> (id: UInt32, pointer: BlockPointer?, maximum: UInt32)? {
        if depth == 0 {
            let stored = try readLeafBytes(pointer)
            let removed: (bytes: [UInt8], id: UInt32, remaining: Int, maximumHash: UInt32)?
            do { removed = try DirList.removing(name, from: stored, at: pointer.address.index, bound: bound) } catch { throw .format(error) }
            guard let removed else { return nil }
            if removed.remaining == 0 {
                release(pointer, charging: &owner)
                owner.size -= min(owner.size, UInt64(RedoxFS.blockSize))
                return (removed.id, nil, 0)
            }
            return (removed.id, try rewriteBlock(pointer, with: removed.bytes), removed.maximumHash)
        }
        var node = try readIndex(pointer)
        for candidate in node.candidates(for: hash) {
            guard let at = node.slots.firstIndex(of: candidate),
                  let result = try remove(
                    name, hash: hash, at: candidate.pointer, bound: candidate.hash, depth: depth - 1, owner: &owner) else {
                continue
            }
            if let child = result.pointer {
                node.slots[at] = HTreeSlot(hash: result.maximum, pointer: child)
            } else {
                node.slots.remove(at: at)
            }
            node.slots = stableSorted(node.slots) { $0.hash }
            if node.slots.isEmpty {
                release(pointer, charging: &owner)
                owner.size -= min(owner.size, UInt64(RedoxFS.blockSize))
                return (result.id, nil, 0)
            }
            return (result.id, try rewriteBlock(pointer, with: node.encode()), node.maximumHash)
        }
        return nil
    }

    /// The stored bytes of a leaf (checked against its pointer, not decoded).
    func readLeafBytes(_ pointer: BlockPointer) throws(FileSystemError) -> [UInt8] {
        try withReader { (reader) throws(FormatError) in try reader.reader.read(pointer, as: .dirList) }
    }

    func readIndex(_ pointer: BlockPointer) throws(FileSystemError) -> HTreeNode {
        try withReader { (reader) throws(FormatError) in HTreeNode(block: try reader.reader.read(pointer, as: .hTreeNode)) }
    }
}
