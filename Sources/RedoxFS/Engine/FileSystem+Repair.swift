import RedoxFSFormat

/// Primitives for `redoxfs-fsck`'s repairs. A repair opens the file system with
/// `openForRepair` (no allocation-log replay: the log may be what is broken), changes the tree in
/// one open transaction through these calls, and ends with `repairCommit`, which writes an
/// allocation log rebuilt from what the new tree uses. New blocks only ever come from blocks the
/// old header does not use, so a crash before the header write leaves the old file system intact.
///
/// Unlike the ordinary operations these never read a block they do not have to: they are meant
/// for trees with unreadable parts. Each one is atomic: when it fails, the open transaction is as
/// it was before the call.
extension FileSystem {
    /// Opens `device` for a repair based on `header` (a valid header of the ring), allocating new
    /// blocks only from `freeExtents` (blocks the caller found unused by that header's tree).
    public static func openForRepair(
        device: any StorageDevice, header: Header, startBlock: UInt64, keys: DataKeys?, freeExtents: [Range<UInt64>]
    ) -> FileSystem {
        var allocator = BuddyAllocator()
        for extent in freeExtents where !extent.isEmpty {
            allocator.deallocate(extent: extent.lowerBound, count: UInt64(extent.count))
        }
        let fs = FileSystem(formatted: device, header: header, startBlock: startBlock, keys: keys, allocator: allocator)
        // Nothing may be committed before the repair's own commit.
        fs.isRepairSession = true
        return fs
    }

    /// Sets the file-system size to `blocks` blocks (a truncated image shrunk to its device).
    public func repairSetBlockCount(_ blocks: UInt64) {
        // Cannot fail: no allocation, and a repair never commits by itself.
        try? transaction { () throws(FileSystemError) in working.size = blocks * UInt64(RedoxFS.blockSize) }
    }

    /// Zeroes the header's padding (bytes 3168…4071) and, when it is not encrypted, its key slots.
    public func repairClearHeaderPadding() {
        // Cannot fail: no allocation, and a repair never commits by itself.
        try? transaction { () throws(FileSystemError) in
            var bytes = working.bytes
            for i in 3168..<Header.hashedByteCount { bytes[i] = 0 }
            if !working.isEncrypted {
                for i in 80..<(80 + 48 * RedoxFS.keySlotCount) { bytes[i] = 0 }
            }
            working = Header(block: bytes)
        }
    }

    // MARK: Node tree

    /// Rebuilds the node tree's lists: drops tree lists that cannot be read (and, with
    /// `droppingNodes`, node blocks that cannot be read or are not nodes), recomputes every flag,
    /// frees emptied lists. Only changed lists are rewritten.
    public func repairRebuildNodeTree(droppingNodes: Bool) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            guard !working.tree.isNull else { return }
            let rebuilt = try rebuildTreeList(working.tree, level: 3, prefix: 0, droppingNodes: droppingNodes)
            working.tree = rebuilt.pointer
        }
    }

    private func rebuildTreeList(
        _ pointer: BlockPointer, level: Int, prefix: UInt32, droppingNodes: Bool
    ) throws(FileSystemError) -> (pointer: BlockPointer, full: Bool) {
        guard let bytes = readQuietly(pointer, as: .treeList) else { return (.null, false) }
        var list = TreeList(block: bytes)
        var changed = false
        for i in 0..<TreeList.entryCount {
            var child = list.pointers[i]
            let id = prefix | UInt32(i) << UInt32(8 * level)
            var flag: Bool
            if level == 0 {
                if !child.isNull, id == 0
                    || (droppingNodes && readQuietly(child, as: .node).map({ Node(block: $0).kind == nil }) ?? true) {
                    child = .null
                }
                flag = !child.isNull || (id == 0 && list.flag(0))
            } else if child.isNull {
                flag = false
            } else {
                let rebuilt = try rebuildTreeList(child, level: level - 1, prefix: id, droppingNodes: droppingNodes)
                child = rebuilt.pointer
                flag = !child.isNull && rebuilt.full
            }
            if child != list.pointers[i] {
                list.pointers[i] = child
                changed = true
            }
            if flag != list.flag(i) {
                list.setFlag(i, flag)
                changed = true
            }
        }
        for reserved in [254, 255] where list.flag(reserved) {
            list.setFlag(reserved, false)
            changed = true
        }
        if list.isEmpty { return (.null, false) }
        guard changed else { return (pointer, list.isFull) }
        return (try writeBlock(list.encode()), list.isFull)
    }

    /// Removes node `id`'s tree slot (its blocks are left to the rebuilt allocation log).
    public func repairRemoveNode(_ id: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in try removeNode(id) }
    }

    /// Stores a new, empty root directory as node 1 (mode 0o40755, owned by root), replacing
    /// whatever node 1 was, or inserting it when the tree has none.
    public func repairRecreateRoot() throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            let now = clockSource()
            var root = Node(mode: NodeKind.directory.rawValue | 0o755, uid: 0, gid: 0, seconds: now.seconds, nanoseconds: now.nanoseconds)
            root.links = 1
            let (lists, _) = try treePath(NodeID(RedoxFS.rootNodeID))
            if lists[3].pointers[NodeID(RedoxFS.rootNodeID).index(atLevel: 0)].isNull {
                let id = try insertNode(root)
                guard id == RedoxFS.rootNodeID else {
                    throw .invalidArgument("the node tree has no free slot for node 1 (got \(id))")
                }
            } else {
                try saveNode(RedoxFS.rootNodeID, root)
            }
        }
    }

    /// Changes node `id` and saves it.
    public func repairChangeNode(_ id: UInt32, _ change: (inout Node) -> Void) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            change(&node)
            try saveNode(id, node)
        }
    }

    // MARK: Directories

    /// Replaces the index of directory `id` by a new one holding `entries` (valid, distinct
    /// names); the old blocks are not read.
    public func repairRebuildDirectory(_ id: UInt32, entries: [DirectoryEntry]) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            guard node.isDirectory else { throw .invalidArgument("node \(id) is not a directory") }
            node.data = [UInt8](repeating: 0, count: RedoxFS.inlineDataSize)
            node.size = 0
            node.blocks = 1
            for entry in entries { try insertEntry(entry, into: &node) }
            try saveNode(id, node)
        }
    }

    /// Adds `entry` to directory `directory` without touching the named node's link count.
    public func repairInsertEntry(_ entry: DirectoryEntry, into directory: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(directory)
            guard node.isDirectory else { throw .invalidArgument("node \(directory) is not a directory") }
            try insertEntry(entry, into: &node)
            try saveNode(directory, node)
        }
    }

    // MARK: Content

    /// Drops every record of node `id` from index `count` on (and the indirect lists left empty),
    /// reading only the indirect lists that straddle the cut. The size is not changed.
    public func repairCutRecords(_ id: UInt32, keeping count: UInt64) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            guard !node.isDirectory, !node.hasInlineData else { return }
            var base: UInt64 = 0
            for tier in RecordPath.tiers {
                let span = UInt64(1) << (8 * UInt64(tier.depth))
                for k in 0..<tier.count {
                    let slot = tier.first + k
                    let start = base + UInt64(k) * span
                    let pointer = node.levelPointer(slot)
                    if pointer.isNull || start + span <= count { continue }
                    if start >= count || tier.depth == 0 {
                        node.setLevelPointer(slot, .null)
                    } else {
                        node.setLevelPointer(slot, try cutList(pointer, depth: tier.depth, base: start, keeping: count))
                    }
                }
                base += UInt64(tier.count) * span
            }
            try saveNode(id, node)
        }
    }

    private func cutList(
        _ pointer: BlockPointer, depth: Int, base: UInt64, keeping count: UInt64
    ) throws(FileSystemError) -> BlockPointer {
        guard let bytes = readQuietly(pointer, as: .blockList) else { return .null }
        var list = BlockList(block: bytes)
        let span = UInt64(1) << (8 * UInt64(depth - 1))
        for i in 0..<BlockList.entryCount where !list.pointers[i].isNull {
            let start = base + UInt64(i) * span
            if start + span <= count { continue }
            if start >= count || depth == 1 {
                list.pointers[i] = .null
            } else {
                list.pointers[i] = try cutList(list.pointers[i], depth: depth - 1, base: start, keeping: count)
            }
        }
        return list.isEmpty ? .null : try writeBlock(list.encode())
    }

    /// Gives node `id` its own copy of every record whose blocks are in `shared`.
    public func repairCopyRecords(_ id: UInt32, sharing shared: Set<UInt64>) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            guard !node.isDirectory, !node.hasInlineData, !shared.isEmpty else { return }
            var base: UInt64 = 0
            var copies: [(record: UInt64, pointer: BlockPointer)] = []
            for tier in RecordPath.tiers {
                let span = UInt64(1) << (8 * UInt64(tier.depth))
                for k in 0..<tier.count where !node.levelPointer(tier.first + k).isNull {
                    collectShared(
                        node.levelPointer(tier.first + k), depth: tier.depth, record: base + UInt64(k) * span,
                        shared: shared, into: &copies)
                }
                base += UInt64(tier.count) * span
            }
            for copy in copies {
                guard let stored = readQuietly(copy.pointer, as: .record) else { continue }
                var nobody: Node?
                let fresh = try writeBlock(stored, decompressionLevel: copy.pointer.address.decompressionLevel, owner: &nobody)
                try setRecordPointer(copy.record, to: fresh, in: &node)
            }
            try saveNode(id, node)
        }
    }

    private func collectShared(
        _ pointer: BlockPointer, depth: Int, record: UInt64, shared: Set<UInt64>,
        into copies: inout [(record: UInt64, pointer: BlockPointer)]
    ) {
        if depth == 0 {
            let address = pointer.address
            if (0..<address.blockCount).contains(where: { shared.contains(address.index + $0) }) {
                copies.append((record, pointer))
            }
            return
        }
        guard let bytes = readQuietly(pointer, as: .blockList) else { return }
        let span = UInt64(1) << (8 * UInt64(depth - 1))
        for (i, child) in BlockList(block: bytes).pointers.enumerated() where !child.isNull {
            collectShared(child, depth: depth - 1, record: record + UInt64(i) * span, shared: shared, into: &copies)
        }
    }

    /// Recounts node `id`'s `blocks` from what its level area reaches and, for a directory, its
    /// size from its index and leaf blocks.
    public func repairRecount(_ id: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            var visited: Set<UInt64> = []
            var extents: [Range<UInt64>] = []
            var directoryBlocks: UInt64 = 0
            collectContent(of: node, into: &extents, directoryBlocks: &directoryBlocks, visited: &visited)
            node.blocks = 1 + extents.reduce(0) { $0 + UInt64($1.count) }
            if node.isDirectory { node.size = directoryBlocks * UInt64(RedoxFS.blockSize) }
            try saveNode(id, node)
        }
    }

    // MARK: Space and commit

    /// Every block the working header reaches (node tree, nodes and their content, release list;
    /// not the allocation log), skipping what cannot be read.
    public func repairUsedExtents() -> [Range<UInt64>] {
        lock.locked {
            var extents: [Range<UInt64>] = []
            var visited: Set<UInt64> = []
            var pointer = working.release
            while !pointer.isNull, visited.insert(pointer.address.index).inserted {
                extents.append(range(of: pointer))
                guard let bytes = readQuietly(pointer, as: .releaseList) else { break }
                pointer = ReleaseList(block: bytes).previous
            }
            collectTree(working.tree, level: 3, into: &extents, visited: &visited)
            return extents
        }
    }

    private func range(of pointer: BlockPointer) -> Range<UInt64> {
        pointer.address.index..<pointer.address.index + pointer.address.blockCount
    }

    private func collectTree(_ pointer: BlockPointer, level: Int, into extents: inout [Range<UInt64>], visited: inout Set<UInt64>) {
        guard !pointer.isNull, visited.insert(pointer.address.index).inserted else { return }
        extents.append(range(of: pointer))
        guard let bytes = readQuietly(pointer, as: .treeList) else { return }
        for child in TreeList(block: bytes).pointers where !child.isNull {
            if level > 0 {
                collectTree(child, level: level - 1, into: &extents, visited: &visited)
            } else if visited.insert(child.address.index).inserted {
                extents.append(range(of: child))
                guard let node = readQuietly(child, as: .node).map(Node.init(block:)) else { continue }
                var directoryBlocks: UInt64 = 0
                collectContent(of: node, into: &extents, directoryBlocks: &directoryBlocks, visited: &visited)
            }
        }
    }

    private func collectContent(
        of node: Node, into extents: inout [Range<UInt64>], directoryBlocks: inout UInt64, visited: inout Set<UInt64>
    ) {
        if node.hasInlineData || node.kind == nil { return }
        if node.isDirectory {
            let marker = node.levelPointer(0)
            guard marker.isMarker, !node.levelPointer(1).isNull else { return }
            collectDirectory(
                node.levelPointer(1), depth: Int(marker.markerDepth), into: &extents, count: &directoryBlocks,
                visited: &visited)
            return
        }
        for tier in RecordPath.tiers {
            for k in 0..<tier.count where !node.levelPointer(tier.first + k).isNull {
                collectRecords(node.levelPointer(tier.first + k), depth: tier.depth, into: &extents, visited: &visited)
            }
        }
    }

    private func collectRecords(_ pointer: BlockPointer, depth: Int, into extents: inout [Range<UInt64>], visited: inout Set<UInt64>) {
        extents.append(range(of: pointer))
        guard depth > 0, visited.insert(pointer.address.index).inserted,
              let bytes = readQuietly(pointer, as: .blockList) else { return }
        for child in BlockList(block: bytes).pointers where !child.isNull {
            collectRecords(child, depth: depth - 1, into: &extents, visited: &visited)
        }
    }

    private func collectDirectory(
        _ pointer: BlockPointer, depth: Int, into extents: inout [Range<UInt64>], count: inout UInt64,
        visited: inout Set<UInt64>
    ) {
        guard visited.insert(pointer.address.index).inserted else { return }
        extents.append(range(of: pointer))
        count += 1
        guard depth > 0, let bytes = readQuietly(pointer, as: .hTreeNode) else { return }
        for slot in HTreeNode(block: bytes).slots {
            collectDirectory(slot.pointer, depth: depth - 1, into: &extents, count: &count, visited: &visited)
        }
    }

    /// Commits the repair: the allocator becomes `free` (blocks neither the old nor the new tree
    /// uses), and `releasing` (blocks only the old tree used) is freed after the new log blocks are
    /// placed, so that they cannot land on anything the old header still names. The log is written
    /// from scratch (squashed); the old chain is not read.
    public func repairCommit(free: [Range<UInt64>], releasing: [Range<UInt64>]) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var allocator = BuddyAllocator()
            for extent in free where !extent.isEmpty {
                allocator.deallocate(extent: extent.lowerBound, count: UInt64(extent.count))
            }
            allocatorState = allocator
            pendingAllocations.removeAll()
            allocatedInTransaction.removeAll()
            deferredFrees = releasing.flatMap(Self.alignedPieces)
            working.alloc = .null
            requestCommit(squash: true)
        }
    }

    /// `extent` as naturally aligned pieces of at most 2^15 blocks.
    static func alignedPieces(_ extent: Range<UInt64>) -> [BlockAddress] {
        var pieces: [BlockAddress] = []
        var start = extent.lowerBound
        while start < extent.upperBound {
            var level: UInt8 = 0
            while level < 15, start % (UInt64(2) << UInt64(level)) == 0, start + (UInt64(2) << UInt64(level)) <= extent.upperBound {
                level += 1
            }
            pieces.append(BlockAddress(index: start, level: level))
            start += UInt64(1) << UInt64(level)
        }
        return pieces
    }

    /// Zeroes header ring slot `slot` (a damaged, misplaced or foreign header), then flushes.
    public func repairClearHeaderSlot(_ slot: UInt64) throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            guard slot < RedoxFS.headerRing, slot != header.generation % RedoxFS.headerRing else { return }
            try withRawBytes([UInt8](repeating: 0, count: RedoxFS.blockSize)) { (raw) throws(FileSystemError) in
                do throws(FormatError) { try device.writeBlocks(at: startBlock + slot, from: raw) } catch { throw .format(error) }
            }
            try flushDevice()
        }
    }

    /// The block, or nil when it cannot be read or verified.
    private func readQuietly(_ pointer: BlockPointer, as structure: Structure) -> [UInt8]? {
        try? withReader { (reader) throws(FormatError) in try reader.reader.read(pointer, as: structure) }
    }
}
