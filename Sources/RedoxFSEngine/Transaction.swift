import RedoxFSFormat

/// The copy-on-write transaction: block allocation, the write cache, and commit (spec §11–§12).
extension FileSystemEngine {
    /// The free-space map, rebuilt from the allocation log on first use.
    func allocator() throws(FileSystemError) -> BuddyAllocator {
        if let allocatorState { return allocatorState }
        let rebuilt = try replayAllocationLog(header.alloc)
        allocatorState = rebuilt
        return rebuilt
    }

    /// Replays the log whose newest block is `newest` (spec §11.3).
    func replayAllocationLog(_ newest: BlockPointer) throws(FileSystemError) -> BuddyAllocator {
        var chain: [AllocList] = []
        var pointer = newest
        var seen: Set<UInt64> = []
        try withReader { (reader) throws(FormatError) in
            while !pointer.isNull {
                guard seen.insert(pointer.address.index).inserted else {
                    throw .malformed(.allocList, block: pointer.address.index, .cycle)
                }
                let list = AllocList(block: try reader.reader.read(pointer, as: .allocList))
                chain.append(list)
                pointer = list.previous
            }
        }
        var allocator = BuddyAllocator()
        let blocks = header.blockCount
        for list in chain.reversed() {
            for entry in list.entries {
                let count = UInt64(entry.count.magnitude)
                guard entry.index >= RedoxFS.headerRing, entry.index < blocks, blocks - entry.index >= count else {
                    throw .format(.malformed(.allocList, block: entry.index, .fieldOutOfRange))
                }
                if let failed = allocator.apply(entry) {
                    throw .format(.malformed(.allocList, block: failed, .fieldOutOfRange))
                }
            }
        }
        return allocator
    }

    /// Allocates 2^level blocks for the open transaction.
    func allocate(level: UInt8) throws(FileSystemError) -> UInt64 {
        if let failure { throw failure }
        try takeInjectedAllocationFailure("allocate")
        if allocatorState == nil { _ = try allocator() }  // builds the free-space map
        if transactionDepth > 0, (allocatorState?.freeBlocks ?? 0) < heldBackBlocks + (UInt64(1) << UInt64(level)) {
            throw .system(operation: "allocate", path: "file system", errno: POSIXCode.ENOSPC)
        }
        // In place: a copy taken here would make every allocation copy the free lists it touches.
        guard let index = allocatorState?.allocate(level: Int(level)) else {
            throw .system(operation: "allocate", path: "file system", errno: POSIXCode.ENOSPC)
        }
        pendingAllocations.append(AllocEntry(index: index, count: -(Int64(1) << Int64(level))))
        allocatedInTransaction[index] = level
        journalAllocation(.allocated(index))
        return index
    }

    /// Frees a block: at once when the open transaction allocated it, else at commit.
    func free(_ address: BlockAddress) {
        guard !address.isNull else { return }
        let index = address.index
        if let level = allocatedInTransaction[index], level == address.level {
            allocatedInTransaction[index] = nil
            var position: Int?
            if let at = pendingAllocations.lastIndex(where: { $0.index == index && $0.count < 0 }) {
                position = at
                journalAllocation(.freedAllocation(index: index, level: level, position: at, entry: pendingAllocations[at]))
                pendingAllocations.remove(at: at)
            }
            if position == nil { journalAllocation(.freedAllocation(index: index, level: level, position: nil, entry: nil)) }
            allocatorState?.deallocate(index, level: Int(level))
            cache.removeDirty(index)
        } else {
            deferredFrees.append(address)
            journalAllocation(.deferredFree)
        }
    }

    /// Writes `bytes` (padded to whole blocks of the level) to a new address, charged to nobody
    /// (TreeLists, logs, node blocks; a repair's copy of a record its node is charged for already).
    /// A `provisional` block (node-tree lists and node blocks only) gets a provisional hash,
    /// replaced by its seahash when the commit settles the tree (`settleTree`). `hash`: the
    /// seahash of `bytes` when the caller has it already (see `storeDirty`).
    func writeBlock(
        _ bytes: [UInt8], decompressionLevel: UInt8 = 0, provisional: Bool = false, hash: UInt64? = nil
    ) throws(FileSystemError) -> BlockPointer {
        let level = BlockLevel.forBytes(bytes.count)
        let index = try allocate(level: level)
        return storeDirty(bytes, at: index, level: level, decompressionLevel: decompressionLevel, provisional: provisional, hash: hash)
    }

    /// `writeBlock(_:decompressionLevel:provisional:hash:)` for a block of `owner`'s content
    /// (records, BlockLists, directory blocks): `owner` is charged its blocks.
    func writeBlock(
        _ bytes: [UInt8], decompressionLevel: UInt8 = 0, charging owner: inout Node, hash: UInt64? = nil
    ) throws(FileSystemError) -> BlockPointer {
        let pointer = try writeBlock(bytes, decompressionLevel: decompressionLevel, hash: hash)
        owner.blocks += pointer.address.blockCount
        return pointer
    }

    /// Puts `bytes` (padded to the level) into the write cache at block `index`, hashed now or,
    /// for a `provisional` level-0 block outside repair sessions, when the commit settles the tree.
    /// `known` is the SeaHash of `bytes` when the caller computed it already (a prepared record
    /// write, `PreparedRecordWrite`); it is used only when `bytes` need no padding.
    private func storeDirty(
        _ bytes: [UInt8], at index: UInt64, level: UInt8, decompressionLevel: UInt8, provisional: Bool, hash known: UInt64? = nil
    ) -> BlockPointer {
        let block = dirtyBlock(bytes, level: level, decompressionLevel: decompressionLevel, provisional: provisional, hash: known)
        cache.insertDirty(index, block.bytes, hash: block.hash, provisional: block.provisional)
        return BlockPointer(
            address: BlockAddress(index: index, level: level, decompressionLevel: decompressionLevel), hash: block.hash)
    }

    /// `storeDirty` over the block the write cache holds at `index`, found once for the check and
    /// the store (`BlockCache.replaceDirty`); nil when it holds none there, and then nothing is
    /// stored, padded, hashed or tagged.
    private func storeDirtyInPlace(
        _ bytes: [UInt8], at index: UInt64, level: UInt8, decompressionLevel: UInt8, provisional: Bool, hash known: UInt64?
    ) -> BlockPointer? {
        var hash: UInt64 = 0
        // The closure reads the engine's settings, draws a tag or hashes: it does not touch `dirty`.
        let stored = cache.replaceDirty(index) {
            let block = dirtyBlock(bytes, level: level, decompressionLevel: decompressionLevel, provisional: provisional, hash: known)
            hash = block.hash
            return block
        }
        guard stored else { return nil }
        return BlockPointer(address: BlockAddress(index: index, level: level, decompressionLevel: decompressionLevel), hash: hash)
    }

    /// The bytes `storeDirty` stores (padded to the level), their hash or provisional tag, and
    /// whether it is a provisional tag (the hash left to the commit).
    @inline(__always)
    private func dirtyBlock(
        _ bytes: [UInt8], level: UInt8, decompressionLevel: UInt8, provisional: Bool, hash known: UInt64?
    ) -> (bytes: [UInt8], hash: UInt64, provisional: Bool) {
        var stored = bytes
        let size = RedoxFS.blockSize << Int(level)
        let padded = stored.count < size
        if padded { stored += [UInt8](repeating: 0, count: size - stored.count) }
        let deferred = provisional && !isRepairSession && level == 0 && decompressionLevel == 0
        let hash = deferred ? cache.provisionalTag() : (padded ? nil : known) ?? seaHash(stored)
        return (stored, hash, deferred)
    }

    /// Replaces the metadata block `old` (a TreeList, a node block or a directory block,
    /// referenced from exactly one place) by `bytes`: in place when `overwriteInPlace` may,
    /// else at a new address with `old` freed (copy-on-write). `provisional` as for `writeBlock`.
    func rewriteBlock(_ old: BlockPointer, with bytes: [UInt8], provisional: Bool = false) throws(FileSystemError) -> BlockPointer {
        if let pointer = try overwriteInPlace(old, with: bytes, provisional: provisional) { return pointer }
        let new = try writeBlock(bytes, provisional: provisional)
        free(old.address)
        return new
    }

    /// The one rule for overwriting a block instead of copying it: when the open transaction
    /// allocated `old`'s block (so no committed header references it), it is still waiting in the
    /// write cache, and `bytes` need the same level (so its owner's charge stays), `bytes` replace
    /// it in the write cache; the cache's journal lets a failed operation undo this. Repair
    /// sessions do this too: their transaction allocates only blocks the damaged header does not
    /// use (`RepairSession.writable`, checked again before the commit writes). Returns the pointer
    /// with its new hash and `decompressionLevel` (records), or nil when a new block is needed.
    /// `provisional` and `hash` as for `writeBlock`.
    func overwriteInPlace(
        _ old: BlockPointer, with bytes: [UInt8], decompressionLevel: UInt8 = 0, provisional: Bool = false, hash: UInt64? = nil
    ) throws(FileSystemError) -> BlockPointer? {
        if let failure { throw failure }
        let address = old.address
        let level = BlockLevel.forBytes(bytes.count)
        guard !old.isNull, !old.isMarker, address.level == level, allocatedInTransaction[address.index] == level else { return nil }
        // Stored only when the block is still waiting in the write cache; `storeDirtyInPlace`
        // finds it once for the check and the store, and builds the new block only when found.
        return storeDirtyInPlace(
            bytes, at: address.index, level: level, decompressionLevel: decompressionLevel, provisional: provisional, hash: hash)
    }

    /// Replaces the provisional hashes of the node tree by the blocks' seahashes, bottom-up, so
    /// that every pointer of the working tree carries its block's real hash (the commit's first
    /// step). Only the paths of the nodes changed since the last commit are visited, and only
    /// where their blocks are dirty: a clean block has no dirty block below it.
    func settleTree() throws(FileSystemError) {
        guard !cache.provisional.isEmpty else { return }
        let ids = treePathsSinceCommit.sorted()
        let unsettled = working.tree
        var settledNodes: [(id: UInt32, pointer: BlockPointer)] = []
        working.tree = settle(working.tree, level: 3, ids: ids[...], settledNodes: &settledNodes)
        if !cache.provisional.isEmpty {
            // Not expected: every provisional block lies on a recorded path. Visit every dirty block.
            working.tree = settle(working.tree, level: 3, ids: nil, settledNodes: &settledNodes)
        } else {
            // Only hashes on the recorded paths changed: every other node keeps its pointer.
            cache.nodePathsSettled(settledNodes, from: unsettled, to: working.tree)
        }
        guard cache.provisional.isEmpty else {
            throw .invalidArgument("commit: \(cache.provisional.count) node-tree blocks are not reachable from the tree")
        }
    }

    /// `pointer` with its block settled: a TreeList at `level` (3…0) on the paths of `ids`
    /// (sorted; nil: every dirty child), or a node block at level -1. Node pointers that change
    /// on the paths of `ids` are added to `settledNodes`.
    private func settle(
        _ pointer: BlockPointer, level: Int, ids: ArraySlice<UInt32>?,
        settledNodes: inout [(id: UInt32, pointer: BlockPointer)]
    ) -> BlockPointer {
        if pointer.isNull || pointer.isMarker { return pointer }
        let index = pointer.address.index
        guard var bytes = cache.dirty[index], cache.hash(of: index) == pointer.hash else { return pointer }
        var changed = cache.provisional.contains(index)
        if level >= 0, ids == nil {
            for slot in 0..<TreeList.entryCount {
                let child = BlockPointer(bytes: bytes, at: slot * 16)
                guard !child.isNull, cache.dirty[child.address.index] != nil else { continue }
                let settled = settle(child, level: level - 1, ids: nil, settledNodes: &settledNodes)
                if settled != child {
                    settled.encode(into: &bytes, at: slot * 16)
                    changed = true
                }
            }
        } else if level >= 0, let ids {
            // Sorted ids group by their index at each level.
            var start = ids.startIndex
            while start < ids.endIndex {
                let slot = NodeID(ids[start]).index(atLevel: level)
                var end = start + 1
                while end < ids.endIndex, NodeID(ids[end]).index(atLevel: level) == slot { end += 1 }
                if slot < TreeList.entryCount {
                    let child = BlockPointer(bytes: bytes, at: slot * 16)
                    let settled = settle(child, level: level - 1, ids: ids[start..<end], settledNodes: &settledNodes)
                    if settled != child {
                        settled.encode(into: &bytes, at: slot * 16)
                        changed = true
                        // At level 0 a slot holds one node: the one id of the group.
                        if level == 0 { settledNodes.append((ids[start], settled)) }
                    }
                }
                start = end
            }
        }
        guard changed else { return pointer }
        let hash = seaHash(bytes)
        cache.insertDirty(index, bytes, hash: hash)
        if level < 0 { cache.rehashNode(index, from: pointer.hash, to: hash) }
        return BlockPointer(address: pointer.address, hash: hash)
    }

    /// Frees `pointer`'s block of `owner`'s content, discharging `owner`.
    func release(_ pointer: BlockPointer, charging owner: inout Node) {
        guard !pointer.isNull, !pointer.isMarker else { return }
        free(pointer.address)
        owner.blocks -= min(owner.blocks, pointer.address.blockCount)
    }

    /// Whether the open transaction holds anything to commit.
    var hasPendingChanges: Bool {
        !pendingAllocations.isEmpty || !deferredFrees.isEmpty || working.bytes != header.bytes
    }

    /// Writes the open transaction: allocation log, blocks, flush, header, flush (spec §12.3).
    /// `squash` forces a compacted allocation log. Called inside an operation, the commit is made
    /// when the outermost operation has succeeded.
    public func commit(squash forced: Bool = false) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in requestCommit(squash: forced) }
    }

    /// Writes the commit. Only the end of the outermost transaction (and `format`, before anyone
    /// else holds the file system) calls this; the transaction undoes the state on failure.
    /// `automatic`: a commit the engine makes on its own (`overlapsAutomaticCommits` applies);
    /// any other commit, unless `overlapsCommits`, is durable when it returns, and so is a header
    /// an automatic commit left pending.
    func writeCommit(squash forced: Bool, automatic: Bool = false) throws(FileSystemError) {
        try requireWritable()
        guard forced || hasPendingChanges else {
            if !automatic && !overlapStorage { try writePendingHeaderLocked() }
            return
        }
        try settleTree()
        var allocator = try allocator()
        // After a torn newest commit was found at open, the next commit is written after it.
        let generation = max(header.generation, tornNewestCommit?.generation ?? 0)
        let squash = forced
            || (generation % RedoxFS.allocGCThreshold == 0 && generation >= RedoxFS.allocGCThreshold && allocator.freeBlocks > 0)

        // The entries this commit logs; an ordinary commit appends them to a copy of the newest
        // log block (`base`, whose entries it keeps), a squash starts a new log.
        var entries: [AllocEntry]
        var base: AllocationLogTail?
        var frees = deferredFrees
        if squash {
            entries = allocator.squashedEntries()
            var pointer = working.alloc
            var seen: Set<UInt64> = []
            try withReader { (reader) throws(FormatError) in
                while !pointer.isNull, seen.insert(pointer.address.index).inserted {
                    frees.append(pointer.address)
                    pointer = AllocList(block: try reader.reader.read(pointer, as: .allocList)).previous
                }
            }
        } else {
            entries = pendingAllocations
            if !working.alloc.isNull {
                base = try allocationLogTail(working.alloc)
                frees.append(working.alloc.address)
            }
        }
        let kept = base?.count ?? 0

        // New log blocks, each logging its own allocation; they never land on blocks freed here.
        var logBlocks: [UInt64] = []
        while logBlocks.count * AllocList.entryCount <= kept + entries.count + frees.count {
            try takeInjectedAllocationFailure("commit")
            guard let index = allocator.allocate(level: 0) else {
                throw .system(operation: "commit", path: "file system", errno: POSIXCode.ENOSPC)
            }
            logBlocks.append(index)
            entries.append(AllocEntry(index: index, count: -1))
        }
        for address in frees.reversed() {
            allocator.deallocate(address.index, level: Int(address.level))
            entries.append(AllocEntry(index: address.index, count: Int64(1) << Int64(address.level)))
        }
        let newest = storeLogBlocks(at: logBlocks, entries: entries, continuing: base, previous: .null)
        working.alloc = newest?.pointer ?? .null

        try checkRepairWrites()
        // S of the open-time check (`NewestCommitCheck`): the blocks this commit's appended entries
        // allocate, counted exactly as the check counts them, so a commit written with one flush
        // is never one the check accepts unread.
        let allocatedBlocks = entries.reduce(UInt64(0)) { $1.count < 0 ? $0 &+ $1.count.magnitude : $0 }
        try writeCommitToDevice(
            generation: generation + 1, allocator: allocator, overlapping: overlapStorage || (automatic && automaticOverlapStorage),
            appendingToLog: squash ? nil : allocatedBlocks)
        allocationTail = newest
    }

    func flushDevice() throws(FileSystemError) {
        do { try device.flush() } catch { throw .format(error) }
    }

    /// Total and free 4096-byte blocks (free includes the copy-on-write reserve).
    public func statistics() throws(FileSystemError) -> (blocks: UInt64, freeBlocks: UInt64) {
        let free = try freeBlockCount()
        return lock.sharedLocked { (working.blockCount, free) }
    }

    /// Free blocks that ordinary allocations may use: the free blocks less the copy-on-write
    /// reserve (statfs's `f_bavail`).
    public func availableBlocks() throws(FileSystemError) -> UInt64 {
        let free = try freeBlockCount()
        return lock.sharedLocked { free - min(free, reserveBlocks) }
    }

    /// The free blocks, under the shared lock once the free-space map is built (a writable file
    /// system builds it when opened); the first call on a read-only one builds it exclusively.
    private func freeBlockCount() throws(FileSystemError) -> UInt64 {
        if let free = lock.sharedLocked({ allocatorState?.freeBlocks }) { return free }
        return try lock.locked { () throws(FileSystemError) in try allocator().freeBlocks }
    }
}

extension Array where Element == UInt8 {
    /// Runs `body` over the bytes, passing a typed error through.
    package func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(FormatError) -> T) throws(FormatError) -> T {
        var result: Result<T, FormatError>!
        self.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            do throws(FormatError) { result = .success(try body(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }
}

/// Runs `body` over `bytes`, passing the engine's typed error through.
func withRawBytes<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(FileSystemError) -> T) throws(FileSystemError) -> T {
    var result: Result<T, FileSystemError>!
    bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        do throws(FileSystemError) { result = .success(try body(raw)) } catch { result = .failure(error) }
    }
    return try result.get()
}
