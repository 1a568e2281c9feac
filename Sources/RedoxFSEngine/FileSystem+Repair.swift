import RedoxFSFormat

/// Primitives for `redoxfs-fsck`'s repairs (package access: the checker of this package is their
/// only user; they are not part of the engine's public API). A repair opens the file system with
/// `openForRepair` (no allocation-log replay: the log may be what is broken), changes the tree in
/// one open transaction through these calls, and ends with `repairCommit`, which writes an
/// allocation log rebuilt from what the new tree uses. New blocks only ever come from blocks the
/// old header does not use, so a crash before the header write leaves the old file system intact.
///
/// Unlike the ordinary operations these never read a block they do not have to: they are meant
/// for trees with unreadable parts. Each one is atomic: when it fails, the open transaction is as
/// it was before the call.
extension FileSystemEngine {
    /// Opens `device` for a repair based on `header` (a valid header of the ring), allocating new
    /// blocks only from `freeExtents` (blocks the caller found unused by that header's tree). The
    /// repair's commit is generation `newestGeneration + 1` (a rewind to an older header still
    /// writes after the newest, keeping the ring monotonic). The repair's operations leave
    /// `commitReserve` of those blocks free for the commit's allocation log (see `RepairSession`).
    package static func openForRepair(
        device: Device, providers: Providers, header: Header, startBlock: UInt64, keys: DataKeys?,
        freeExtents: [Range<UInt64>], writtenAfter newestGeneration: UInt64, commitReserve: UInt64
    ) -> FileSystemEngine {
        var header = header
        header.generation = max(header.generation, newestGeneration)
        var allocator = BuddyAllocator()
        for extent in freeExtents where !extent.isEmpty {
            allocator.deallocate(extent: extent.lowerBound, count: UInt64(extent.count))
        }
        let fs = FileSystemEngine(formatted: device, providers: providers, header: header, startBlock: startBlock, keys: keys, allocator: allocator)
        // Nothing may be committed before the repair's own commit.
        fs.repairSession = RepairSession(commitReserve: commitReserve, writable: freeExtents)
        return fs
    }

    /// Whether this is a repair session (`openForRepair`).
    var isRepairSession: Bool { repairSession != nil }

    /// Blocks a squashed commit needs for its allocation log when the allocator is `free` and
    /// `releasing` is freed by it: the commit of `repairCommit` with nothing changed since, which
    /// is what a repair's reserve must cover at least (see `RepairSession`).
    package static func repairCommitLogBlocks(free: [Range<UInt64>], releasing: [Range<UInt64>]) -> UInt64 {
        var allocator = BuddyAllocator()
        for extent in free where !extent.isEmpty {
            allocator.deallocate(extent: extent.lowerBound, count: UInt64(extent.count))
        }
        // The squashed log has at most one entry per free buddy block (it merges neighbours).
        let freePieces = allocator.free.reduce(0) { $0 + $1.count }
        let releasedPieces = releasing.reduce(0) { $0 + alignedPieces($1).count }
        return logBlocks(forEntries: freePieces + releasedPieces)
    }

    /// Log blocks `writeCommit` takes for `entries` entries (each log block adds its own).
    static func logBlocks(forEntries entries: Int) -> UInt64 {
        var blocks = 0
        while blocks * AllocList.entryCount <= entries + blocks { blocks += 1 }
        return UInt64(blocks)
    }

    /// Refuses a repair commit that would write a block outside `RepairSession.writable` (one the
    /// damaged header may still use): the check runs before anything is written.
    func checkRepairWrites() throws(FileSystemError) {
        guard let repairSession else { return }
        for index in cache.dirty.keys where !repairSession.mayWrite(index) {
            throw .invalidArgument("the repair would overwrite block \(index), which the file system before the repair may still use")
        }
    }

    /// Sets the file-system size to `blocks` blocks (a truncated image shrunk to its device).
    package func repairSetBlockCount(_ blocks: UInt64) {
        // Cannot fail: no allocation, and a repair never commits by itself.
        try? transaction { () throws(FileSystemError) in working.size = blocks * UInt64(RedoxFS.blockSize) }
    }

    /// Zeroes the header's padding and, when it is not encrypted, its key slots.
    package func repairClearHeaderPadding() {
        // Cannot fail: no allocation, and a repair never commits by itself.
        try? transaction { () throws(FileSystemError) in working.clearPadding(keepingKeySlots: working.isEncrypted) }
    }

    // MARK: Node tree

    /// Rebuilds the node tree's lists: drops tree lists that cannot be read (and, with
    /// `droppingNodes`, node blocks that cannot be read or are not nodes), recomputes every flag,
    /// frees emptied lists. Only changed lists are rewritten.
    package func repairRebuildNodeTree(droppingNodes: Bool) throws(FileSystemError) {
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
    package func repairRemoveNode(_ id: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in try removeNode(id) }
    }

    /// Stores a new, empty root directory as node 1 (mode 0o40755, owned by root), replacing
    /// whatever node 1 was, or inserting it when the tree has none.
    package func repairRecreateRoot() throws(FileSystemError) {
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
    package func repairChangeNode(_ id: UInt32, _ change: (inout Node) -> Void) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            change(&node)
            try saveNode(id, node)
        }
    }

    // MARK: Directories

    /// Replaces the index of directory `id` by a new one holding `entries` (valid, distinct
    /// names); the old blocks are not read.
    package func repairRebuildDirectory(_ id: UInt32, entries: [DirectoryEntry]) throws(FileSystemError) {
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
    package func repairInsertEntry(_ entry: DirectoryEntry, into directory: UInt32) throws(FileSystemError) {
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
    package func repairCutRecords(_ id: UInt32, keeping count: UInt64) throws(FileSystemError) {
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
    package func repairCopyRecords(_ id: UInt32, sharing shared: Set<UInt64>) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            guard !node.isDirectory, !node.hasInlineData, !shared.isEmpty else { return }
            var collector = QuietCollector(fileSystem: self)
            ReachableBlocks.walkContent(of: node, id: id, visitor: &collector)
            let copies = collector.records.filter { record in
                let address = record.pointer.address
                return (0..<address.blockCount).contains { shared.contains(address.index + $0) }
            }
            for copy in copies {
                guard let stored = readQuietly(copy.pointer, as: .record) else { continue }
                let fresh = try writeBlock(stored, decompressionLevel: copy.pointer.address.decompressionLevel)
                try setRecordPointer(copy.index, to: fresh, in: &node)
            }
            try saveNode(id, node)
        }
    }

    /// Recounts node `id`'s `blocks` from what its level area reaches and, for a directory, its
    /// size from its index and leaf blocks.
    package func repairRecount(_ id: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            var collector = QuietCollector(fileSystem: self)
            ReachableBlocks.walkContent(of: node, id: id, visitor: &collector)
            node.blocks = 1 + collector.blockCount
            if node.isDirectory { node.size = collector.directoryBlocks * UInt64(RedoxFS.blockSize) }
            try saveNode(id, node)
        }
    }

    // MARK: Space and commit

    /// Every block the working header reaches (node tree, nodes and their content, release list;
    /// not the allocation log), skipping what cannot be read.
    package func repairUsedExtents() -> [Range<UInt64>] {
        lock.locked {
            var collector = QuietCollector(fileSystem: self)
            ReachableBlocks.walkReleaseList(working.release, visitor: &collector)
            ReachableBlocks.walkTree(working.tree, visitor: &collector)
            return collector.extents
        }
    }

    /// Commits the repair: the allocator becomes `free` (blocks neither the old nor the new tree
    /// uses), and `releasing` (blocks only the old tree used) is freed after the new log blocks are
    /// placed, so that they cannot land on anything the old header still names. The log is written
    /// from scratch (squashed); the old chain is not read.
    package func repairCommit(free: [Range<UInt64>], releasing: [Range<UInt64>]) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            var allocator = BuddyAllocator()
            for extent in free where !extent.isEmpty {
                allocator.deallocate(extent: extent.lowerBound, count: UInt64(extent.count))
            }
            allocatorState = allocator
            pendingAllocations.removeAll()
            allocatedInTransaction.removeAll()
            deferredFrees = releasing.flatMap { Self.alignedPieces($0) }
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
    package func repairClearHeaderSlot(_ slot: UInt64) throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            try writePendingHeaderLocked()  // the header in use is then the one on disk
            guard slot < RedoxFS.headerRing, slot != header.ringSlot else { return }
            try writeHeaderSlot(slot, [UInt8](repeating: 0, count: RedoxFS.blockSize))
            try flushDevice()
        }
    }

    /// Writes a copy of the header in use, as generation `generation`, into ring slot `slot` (a
    /// hole in a wrapped ring: the slot of an older generation that was zeroed, garbled or holds a
    /// generation out of sequence), then flushes.
    package func repairRewriteHeaderSlot(_ slot: UInt64, generation: UInt64) throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            try writePendingHeaderLocked()  // the header in use is then the one on disk
            guard slot < RedoxFS.headerRing, generation % RedoxFS.headerRing == slot, generation < header.generation else {
                throw .invalidArgument("generation \(generation) does not belong in slot \(slot) below generation \(header.generation)")
            }
            var copy = header
            copy.generation = generation
            copy.seal(keys: keys)
            try writeHeaderSlot(slot, copy.bytes)
            try flushDevice()
        }
    }

    /// The block, or nil when it cannot be read or verified.
    fileprivate func readQuietly(_ pointer: BlockPointer, as structure: Structure) -> [UInt8]? {
        try? withReader { (reader) throws(FormatError) in try reader.reader.read(pointer, as: structure) }
    }
}

/// What a repair session keeps apart from an ordinary one.
///
/// Why the reserve: the repair's commit (`repairCommit`) writes a new allocation log, squashed,
/// and its blocks can only come from blocks that neither the damaged header nor the repaired
/// tree uses. Nothing else frees space before the commit (blocks the old tree used stay
/// untouchable until the new header is on disk). Without a reserve the operations could take the
/// last of those blocks: each one fits, but the commit then fails with ENOSPC and every fix is
/// lost, where giving up one fix would have let the others commit. That is what happened on the
/// corpus case "truncated image (data lost)": 7 free blocks; with in-place node saves removing
/// node 3080 and then rebuilding the root directory without its entry took all 7 (the cut of
/// node 3078 then failed by itself), and the commit found none. Copying, the rebuild needed more
/// than was left at its peak, failed by itself and left room for the log. The failure is not
/// tied to in-place saves: copying, any operation whose last allocation takes the last block
/// (a new directory, a record copy) does the same.
///
/// Why `writable`: the repair must never overwrite a block the generation it replaces still
/// names, or a crash before the new header (or a refused commit) would leave neither generation
/// whole. The transaction only allocates from `writable` and rewrites in place only what it
/// allocated, and `repairCommit`'s free list must lie inside it; the commit checks every block it
/// is about to write against it.
struct RepairSession {
    /// Free blocks the repair's operations leave to the commit (for the allocation log).
    var commitReserve: UInt64
    /// Blocks the session may write, sorted and disjoint: those the caller found unused by the
    /// old header (and by any newer header a rewind keeps).
    let writable: [Range<UInt64>]

    init(commitReserve: UInt64, writable: [Range<UInt64>]) {
        self.commitReserve = commitReserve
        self.writable = writable.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Whether `index` lies in `writable`.
    func mayWrite(_ index: UInt64) -> Bool {
        var low = 0
        var high = writable.count
        while low < high {
            let middle = (low + high) / 2
            if writable[middle].upperBound <= index { low = middle + 1 } else { high = middle }
        }
        return low < writable.count && writable[low].contains(index)
    }
}

/// What the repair's collectors gather on the shared walk, reading quietly (what cannot be read
/// is counted but not walked) and entering each block that holds pointers once.
private struct QuietCollector<Device: StorageDevice, Providers: EngineProviders>: BlockVisitor {
    let fileSystem: FileSystemEngine<Device, Providers>
    var visited: Set<UInt64> = []
    /// Every block reached, records included (a record named twice counts twice).
    var extents: [Range<UInt64>] = []
    /// Index and leaf blocks of directories reached.
    var directoryBlocks: UInt64 = 0
    /// Every record reached, with its index.
    var records: [(index: UInt64, pointer: BlockPointer)] = []

    init(fileSystem: FileSystemEngine<Device, Providers>) { self.fileSystem = fileSystem }

    /// Blocks in `extents`.
    var blockCount: UInt64 { extents.reduce(0) { $0 + UInt64($1.count) } }

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
        let address = pointer.address
        let range = address.index..<address.index + address.blockCount
        if case .record(_, let index) = role {
            extents.append(range)
            records.append((index, pointer))
            return nil
        }
        guard visited.insert(address.index).inserted else { return nil }
        extents.append(range)
        switch role {
        case .directoryIndex, .directoryLeaf: directoryBlocks += 1
        default: break
        }
        if case .directoryLeaf = role { return nil }
        return fileSystem.readQuietly(pointer, as: role.structure)
    }
}
