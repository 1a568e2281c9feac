import RedoxFS

/// Reads the blocks of one directory in pass 2 (hash-tree index blocks and leaves), as the shared
/// walk (`ReachableBlocks`) reaches them, into a `DirectoryImage`, leaving the invariant checks to
/// pass 3.
struct DirectoryReader: BlockVisitor {
    var context: CheckContext
    let id: UInt32
    var image = DirectoryImage()
    var owned: UInt64 = 0
    /// The index blocks being walked (numbers in `image.indexBlocks`), outermost first.
    private var open: [Int] = []

    /// Reads directory `id`; returns the blocks it owns (its node block not included).
    static func read(_ id: UInt32, node: ScannedNode, context: inout CheckContext) -> UInt64 {
        var reader = DirectoryReader(context: consume context, id: id)
        reader.image.size = node.size
        let marker = node.levelPointer(0)
        let top = node.levelPointer(1)
        if marker.isZero {
            reader.image.strayPointer = !top.isZero
        } else if !marker.isMarker {
            reader.image.badMarker = true
        } else {
            reader.image.depth = Int(marker.markerDepth)
            ReachableBlocks.walkContent(of: node, id: id, visitor: &reader)
        }
        let (image, owned) = (reader.image, reader.owned)
        // The reader goes before the context changes, so that its dictionaries are not copied.
        context = (consume reader).context
        context.statistics.entries += UInt64(image.entries.count)
        context.directories[id] = image
        return owned
    }

    private init(context: consuming CheckContext, id: UInt32) {
        self.context = context
        self.id = id
    }

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
        let place: String
        if let parent = open.last {
            let index = image.indexBlocks[parent]
            place = "slot \(index.children.count) of the index block \(index.block) of directory \(id)"
        } else {
            place = "the root of directory \(id)"
        }
        let read = context.read(pointer, as: role.structure, owner: .node(id), where: place, fix: .rebuildDirectory(node: id))
        if read.isClaimed {
            owned += pointer.address.blockCount
            image.linkedBlocks += 1
        }
        guard case .bytes(let bytes) = read else {
            image.incomplete = true
            attach(.missing)
            return nil
        }
        let block = pointer.address.index
        guard case .directoryIndex = role else {
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
            attach(.leaf(image.leaves.count - 1))
            return nil
        }
        let layout = HTreeNode.layout(of: bytes)
        image.indexBlocks.append(DirectoryImage.IndexBlock(
            block: block, slots: HTreeNode(block: bytes).slots, children: [], slotsNotPrefix: layout.slotsNotPrefix,
            badEmptySlot: layout.badEmptySlot, paddingNonZero: layout.paddingNonZero))
        attach(.index(image.indexBlocks.count - 1))
        open.append(image.indexBlocks.count - 1)
        return bytes
    }

    mutating func leave(_ pointer: BlockPointer, as role: BlockRole) {
        open.removeLast()
    }

    /// Hangs `child` under the index block being walked, or makes it the root.
    private mutating func attach(_ child: DirectoryImage.Child) {
        if let parent = open.last {
            image.indexBlocks[parent].children.append(child)
        } else {
            image.root = child
        }
    }
}
