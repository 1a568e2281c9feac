import RedoxFS

/// Reads the blocks of one directory in pass 2 (hash-tree index blocks and leaves) into a
/// `DirectoryImage`, leaving the invariant checks to pass 3.
struct DirectoryReader {
    let id: UInt32
    var image = DirectoryImage()
    var owned: UInt64 = 0

    /// Reads directory `id`; returns the blocks it owns (its node block not included).
    static func read(_ id: UInt32, node: Node, context: inout CheckContext) -> UInt64 {
        var reader = DirectoryReader(id: id)
        reader.image.size = node.size
        let marker = node.levelPointer(0)
        let top = node.levelPointer(1)
        if marker.isZero {
            reader.image.strayPointer = !top.isZero
        } else if !marker.isMarker {
            reader.image.badMarker = true
        } else {
            let depth = Int(marker.markerDepth)
            reader.image.depth = depth
            if !top.isNull {
                reader.image.root = reader.visit(top, depth: depth, place: "the root of directory \(id)", context: &context)
            }
        }
        context.statistics.entries += UInt64(reader.image.entries.count)
        context.directories[id] = reader.image
        return reader.owned
    }

    private mutating func visit(
        _ pointer: BlockPointer, depth: Int, place: String, context: inout CheckContext
    ) -> DirectoryImage.Child {
        let structure: Structure = depth == 0 ? .dirList : .hTreeNode
        let read = context.read(pointer, as: structure, owner: .node(id), where: place, fix: .rebuildDirectory(node: id))
        if read.isClaimed {
            owned += pointer.address.blockCount
            image.linkedBlocks += 1
        }
        guard case .bytes(let bytes) = read else {
            image.incomplete = true
            return .missing
        }
        let block = pointer.address.index
        if depth == 0 {
            let start = image.entries.count
            do {
                let list = try DirList(block: bytes, at: block)
                image.entries.append(contentsOf: list.entries)
                image.leaves.append(DirectoryImage.Leaf(block: block, entries: start..<image.entries.count, malformation: nil))
            } catch {
                var why = Malformation.fieldOutOfRange
                if case .malformed(_, _, let malformation) = error { why = malformation }
                image.leaves.append(DirectoryImage.Leaf(block: block, entries: start..<start, malformation: why))
                image.incomplete = true
            }
            return .leaf(image.leaves.count - 1)
        }
        var slots: [HTreeSlot] = []
        var sawEmpty = false, notPrefix = false, badEmpty = false
        for i in 0..<HTreeNode.slotCount {
            let hash = ByteLoading.le32(bytes, i * 20)
            let child = BlockPointer(bytes: bytes, at: i * 20 + 4)
            if child.isNull {
                sawEmpty = true
                if hash != .max || !child.isZero { badEmpty = true }
            } else if sawEmpty {
                notPrefix = true
            } else {
                slots.append(HTreeSlot(hash: hash, pointer: child))
            }
        }
        let index = image.indexBlocks.count
        image.indexBlocks.append(DirectoryImage.IndexBlock(
            block: block, slots: slots, children: [], slotsNotPrefix: notPrefix, badEmptySlot: badEmpty,
            paddingNonZero: !ByteLoading.isZero(bytes, 4080..<RedoxFS.blockSize)))
        var children: [DirectoryImage.Child] = []
        for (i, slot) in slots.enumerated() {
            children.append(visit(
                slot.pointer, depth: depth - 1, place: "slot \(i) of the index block \(block) of directory \(id)",
                context: &context))
        }
        image.indexBlocks[index].children = children
        return .index(index)
    }
}
