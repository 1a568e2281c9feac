/// Read-only access to the nodes, directories and contents of one header's tree, through any
/// `BlockReader`. Shared by the engine, the checker and the bootloader.
public struct FileSystemReader<Reader: BlockReader> {
    public var reader: Reader
    /// The root TreeList of the node tree.
    public var tree: BlockPointer

    public init(reader: Reader, tree: BlockPointer) {
        self.reader = reader
        self.tree = tree
    }

    // MARK: Nodes

    /// The pointer to node `id`'s block.
    public mutating func nodePointer(_ id: UInt32) throws(FormatError) -> BlockPointer {
        let pointer = TreeList.pointer(in: try lowestTreeList(of: id), at: NodeID(id).index(atLevel: 0))
        guard !pointer.isNull else { throw .noSuchNode(id) }
        return pointer
    }

    /// The block of the lowest TreeList on node `id`'s path (level 0: it holds the pointers of
    /// the nodes whose ids differ from `id` in the low byte only).
    public mutating func lowestTreeList(of id: UInt32) throws(FormatError) -> [UInt8] {
        let nodeID = NodeID(id)
        guard nodeID.isAddressable else { throw .noSuchNode(id) }
        var pointer = tree
        for level in stride(from: 3, through: 1, by: -1) {
            guard !pointer.isNull else { throw .noSuchNode(id) }
            pointer = TreeList.pointer(in: try reader.read(pointer, as: .treeList), at: nodeID.index(atLevel: level))
        }
        guard !pointer.isNull else { throw .noSuchNode(id) }
        return try reader.read(pointer, as: .treeList)
    }

    /// Node `id`, decoded and checked.
    public mutating func node(_ id: UInt32) throws(FormatError) -> Node {
        try node(at: nodePointer(id))
    }

    /// The node whose block `pointer` names (a pointer taken from the node tree), decoded and checked.
    /// `remembering` false leaves a node decoded here out of the reader's node cache: for a
    /// caller that expects to free its block.
    public mutating func node(at pointer: BlockPointer, remembering: Bool = true) throws(FormatError) -> Node {
        if let node = reader.cachedNode(at: pointer) { return node }
        let node = Node(block: try reader.read(pointer, as: .node))
        try node.validate(block: pointer.address.index)
        if remembering { reader.rememberNode(node, at: pointer) }
        return node
    }

    /// Node `id` read in place (its type and level pointers decoded when asked for), checked.
    public mutating func nodeView(_ id: UInt32) throws(FormatError) -> NodeView {
        let pointer = try nodePointer(id)
        guard let view = NodeView(block: try reader.read(pointer, as: .node)) else {
            throw .malformed(.node, block: pointer.address.index, .badNodeType)
        }
        try view.validate(block: pointer.address.index)
        return view
    }

    // MARK: Directories

    /// Calls `body` for each entry of directory `directory` in stored order (spec §10.9);
    /// stops early when `body` returns false.
    public mutating func forEachEntry<Directory: NodeFields>(
        of directory: Directory, _ body: (DirectoryEntry) throws(FormatError) -> Bool
    ) throws(FormatError) {
        guard directory.isDirectory else { throw .notDirectory }
        let marker = directory.levelPointer(0)
        if marker.isZero { return }
        guard marker.isMarker else { throw .malformed(.node, block: 0, .badMarker) }
        var visited = VisitedBlocks()
        _ = try visit(directory.levelPointer(1), depth: Int(marker.markerDepth), visited: &visited, body)
    }

    private mutating func visit(
        _ pointer: BlockPointer, depth: Int, visited: inout VisitedBlocks, _ body: (DirectoryEntry) throws(FormatError) -> Bool
    ) throws(FormatError) -> Bool {
        try visited.insert(pointer, as: depth == 0 ? .dirList : .hTreeNode)
        if depth == 0 {
            let list = try DirList(block: reader.read(pointer, as: .dirList), at: pointer.address.index)
            for entry in list.entries where !(try body(entry)) { return false }
            return true
        }
        let index = HTreeNode(block: try reader.read(pointer, as: .hTreeNode))
        for slot in index.slots where !(try visit(slot.pointer, depth: depth - 1, visited: &visited, body)) { return false }
        return true
    }

    /// The entries of `directory`, in stored order.
    public mutating func entries<Directory: NodeFields>(of directory: Directory) throws(FormatError) -> [DirectoryEntry] {
        var result: [DirectoryEntry] = []
        try forEachEntry(of: directory) { (entry) throws(FormatError) in result.append(entry); return true }
        return result
    }

    /// The node id that `name` names in `directory`, found through the hash index (spec §10.7).
    public mutating func find<Directory: NodeFields>(_ name: [UInt8], in directory: Directory) throws(FormatError) -> UInt32? {
        try findWithLeaf(name, in: directory)?.id
    }

    /// As `find`, with the directory leaf that holds the entry (its bytes as read and its block
    /// index), for a caller that wants the names stored next to it.
    public mutating func findWithLeaf<Directory: NodeFields>(
        _ name: [UInt8], in directory: Directory
    ) throws(FormatError) -> (id: UInt32, leaf: [UInt8], block: UInt64)? {
        guard directory.isDirectory else { throw .notDirectory }
        let marker = directory.levelPointer(0)
        if marker.isZero { return nil }
        guard marker.isMarker else { throw .malformed(.node, block: 0, .badMarker) }
        var visited = VisitedBlocks()
        return try search(directory.levelPointer(1), depth: Int(marker.markerDepth), name: name, hash: directoryNameHash(name), visited: &visited)
    }

    private mutating func search(
        _ pointer: BlockPointer, depth: Int, name: [UInt8], hash: UInt32, visited: inout VisitedBlocks
    ) throws(FormatError) -> (id: UInt32, leaf: [UInt8], block: UInt64)? {
        try visited.insert(pointer, as: depth == 0 ? .dirList : .hTreeNode)
        if depth == 0 {
            let leaf = try reader.read(pointer, as: .dirList)
            guard let id = try DirList.find(name, in: leaf, at: pointer.address.index) else { return nil }
            return (id, leaf, pointer.address.index)
        }
        let index = HTreeNode(block: try reader.read(pointer, as: .hTreeNode))
        for slot in index.candidates(for: hash) {
            if let found = try search(slot.pointer, depth: depth - 1, name: name, hash: hash, visited: &visited) { return found }
        }
        return nil
    }

    /// Resolves a '/'-separated path from the root, without following symbolic links.
    public mutating func lookup(path: [UInt8]) throws(FormatError) -> UInt32 {
        var id = RedoxFS.rootNodeID
        for component in path.split(separator: 0x2F, omittingEmptySubsequences: true) {
            let directory = try nodeView(id)
            guard directory.isDirectory else { throw .notDirectory }
            guard let next = try find(Array(component), in: directory) else { throw .notFound }
            id = next
        }
        return id
    }

    // MARK: Content

    /// The pointer to record `record` of `node`, or null for a hole.
    public mutating func recordPointer(_ record: UInt64, of node: Node) throws(FormatError) -> BlockPointer {
        guard let path = RecordPath(record: record) else { return .null }
        var pointer = node.levelPointer(path.slot)
        let last = path.indices.count - 1
        for (step, index) in path.indices.enumerated() {
            if pointer.isNull { return .null }
            let list = step < last ? try reader.readListOfLists(pointer) : try reader.read(pointer, as: .blockList)
            pointer = BlockList.pointer(in: list, at: index)
        }
        return pointer
    }

    /// The logical content of a stored record (decompressed when compressed).
    public mutating func recordContent<Codec: LZ4Codec>(
        _ pointer: BlockPointer, codec: Codec
    ) throws(FormatError) -> [UInt8] {
        let stored = try reader.read(pointer, as: .record)
        let decompressionLevel = pointer.address.decompressionLevel
        guard decompressionLevel != 0 else { return stored }
        let block = pointer.address.index
        guard let payload = CompressedRecord.payload(of: stored) else {
            throw .malformed(.record, block: block, .badCompressedLength)
        }
        var output = [UInt8](repeating: 0, count: RedoxFS.blockSize << Int(decompressionLevel))
        var failure: LZ4Error?
        stored.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                do throws(LZ4Error) {
                    _ = try codec.decompress(UnsafeBufferPointer(rebasing: input[payload]), into: out)
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw .decompression(block: block, failure) }
        return output
    }

    /// Reads up to `buffer.count` bytes of `node`'s content at `offset`; returns the number read
    /// (short only at end of file).
    public mutating func read<Codec: LZ4Codec>(
        _ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, codec: Codec
    ) throws(FormatError) -> Int {
        guard offset < node.size else { return 0 }
        let total = Int(min(UInt64(buffer.count), node.size - offset))
        if total == 0 { return 0 }
        if node.hasInlineData {
            let start = Int(min(offset, UInt64(RedoxFS.inlineDataSize)))
            let available = min(total, RedoxFS.inlineDataSize - start)
            node.data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: available) }
            if total > available { (buffer.baseAddress! + available).initializeMemory(as: UInt8.self, repeating: 0, count: total - available) }
            return total
        }
        let recordSize = node.recordSize
        var done = 0
        while done < total {
            let position = offset + UInt64(done)
            let record = position / recordSize
            let within = Int(position % recordSize)
            let count = min(total - done, Int(recordSize) - within)
            let pointer = try recordPointer(record, of: node)
            var copied = 0
            if !pointer.isNull {
                let content = try recordContent(pointer, codec: codec)
                copied = max(0, min(count, content.count - within))
                if copied > 0 {
                    content.withUnsafeBytes { (buffer.baseAddress! + done).copyMemory(from: $0.baseAddress! + within, byteCount: copied) }
                }
            }
            if copied < count {
                (buffer.baseAddress! + done + copied).initializeMemory(as: UInt8.self, repeating: 0, count: count - copied)
            }
            done += count
        }
        return total
    }

    /// The largest content `readAll` returns (symbolic link targets are far smaller).
    public static var readAllLimit: UInt64 { 64 << 20 }

    /// The whole content of `node` (symbolic links, small files), at most `readAllLimit` bytes.
    public mutating func readAll<Codec: LZ4Codec>(_ node: Node, codec: Codec) throws(FormatError) -> [UInt8] {
        guard node.size <= Self.readAllLimit else { throw .malformed(.node, block: 0, .fileTooLarge) }
        var bytes = [UInt8](repeating: 0, count: Int(node.size))
        var failure: FormatError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(FormatError) { _ = try read(node, at: 0, into: buffer, codec: codec) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }
}

/// The blocks a directory walk has read, so that a hash tree whose pointers loop back (a damaged
/// or hostile image) is reported instead of walked forever. An open-addressing hash set of block
/// indices: O(1) per insert on average, no hashing seed (so no platform randomness in Embedded
/// builds).
struct VisitedBlocks {
    /// Slots holding `index + 1` (0 = empty); the count is a power of two.
    private var slots: [UInt64] = []
    private var count = 0

    mutating func insert(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) {
        let index = pointer.address.index
        if !insert(index) { throw .malformed(structure, block: index, .cycle) }
    }

    /// Adds `index`; false when it was there already.
    mutating func insert(_ index: UInt64) -> Bool {
        if (count + 1) * 2 > slots.count { grow() }
        let stored = index &+ 1
        let mask = slots.count - 1
        var slot = Self.slot(for: stored, mask: mask)
        while slots[slot] != 0 {
            if slots[slot] == stored { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = stored
        count += 1
        return true
    }

    private static func slot(for stored: UInt64, mask: Int) -> Int {
        // Fibonacci hashing: spreads neighbouring block indices over the table.
        Int(truncatingIfNeeded: (stored &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: max(16, old.count * 2))
        let mask = slots.count - 1
        for stored in old where stored != 0 {
            var slot = Self.slot(for: stored, mask: mask)
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = stored
        }
    }
}
