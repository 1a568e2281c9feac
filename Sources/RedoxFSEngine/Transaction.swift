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
        var allocator = try allocator()
        if transactionDepth > 0, allocator.freeBlocks < heldBackBlocks + (UInt64(1) << UInt64(level)) {
            throw .system(operation: "allocate", path: "file system", errno: POSIXCode.ENOSPC)
        }
        guard let index = allocator.allocate(level: Int(level)) else {
            throw .system(operation: "allocate", path: "file system", errno: POSIXCode.ENOSPC)
        }
        allocatorState = allocator
        pendingAllocations.append(AllocEntry(index: index, count: -(Int64(1) << Int64(level))))
        allocatedInTransaction[index] = level
        return index
    }

    /// Frees a block: at once when the open transaction allocated it, else at commit.
    func free(_ address: BlockAddress) {
        guard !address.isNull else { return }
        let index = address.index
        if let level = allocatedInTransaction.removeValue(forKey: index), level == address.level {
            if let at = pendingAllocations.lastIndex(where: { $0.index == index && $0.count < 0 }) {
                pendingAllocations.remove(at: at)
            }
            allocatorState?.deallocate(index, level: Int(level))
            cache.removeDirty(index)
        } else {
            deferredFrees.append(address)
        }
    }

    /// Writes `bytes` (padded to whole blocks of the level) to a new address; `owner` is charged.
    func writeBlock(
        _ bytes: [UInt8], decompressionLevel: UInt8 = 0, owner: inout Node?
    ) throws(FileSystemError) -> BlockPointer {
        let level = BlockLevel.forBytes(bytes.count)
        var stored = bytes
        let size = RedoxFS.blockSize << Int(level)
        if stored.count < size { stored += [UInt8](repeating: 0, count: size - stored.count) }
        let index = try allocate(level: level)
        let hash = SeaHash.hash(stored)
        cache.insertDirty(index, stored, hash: hash)
        owner?.blocks += UInt64(1) << UInt64(level)
        return BlockPointer(
            address: BlockAddress(index: index, level: level, decompressionLevel: decompressionLevel), hash: hash)
    }

    /// Replaces the metadata block `old` (a TreeList or a node block, referenced from exactly one
    /// place) by `bytes`. When the open transaction allocated `old`'s block at the same level and
    /// it is still waiting in the write cache, no committed header references it: the block is
    /// overwritten in the write cache (the cache's journal lets a failed operation undo this).
    /// Otherwise the bytes go to a new address and `old` is freed (copy-on-write). Repair sessions
    /// do this too: their transaction allocates only blocks the damaged header does not use
    /// (`RepairSession.writable`, checked again before the commit writes).
    func rewriteBlock(_ old: BlockPointer, with bytes: [UInt8]) throws(FileSystemError) -> BlockPointer {
        if let failure { throw failure }
        let address = old.address
        let level = BlockLevel.forBytes(bytes.count)
        if !old.isNull, !old.isMarker, address.level == level, address.decompressionLevel == 0,
           allocatedInTransaction[address.index] == level, cache.dirty[address.index] != nil {
            var stored = bytes
            let size = RedoxFS.blockSize << Int(level)
            if stored.count < size { stored += [UInt8](repeating: 0, count: size - stored.count) }
            let hash = SeaHash.hash(stored)
            cache.insertDirty(address.index, stored, hash: hash)
            return BlockPointer(address: address, hash: hash)
        }
        let new = try writeBlock(bytes)
        free(address)
        return new
    }

    /// Writes a metadata block nobody is charged for (TreeLists, logs, node blocks).
    func writeBlock(_ bytes: [UInt8]) throws(FileSystemError) -> BlockPointer {
        var nobody: Node?
        return try writeBlock(bytes, owner: &nobody)
    }

    /// Frees `pointer`'s block, discharging `owner`.
    func release(_ pointer: BlockPointer, owner: inout Node?) {
        guard !pointer.isNull, !pointer.isMarker else { return }
        free(pointer.address)
        if owner != nil { owner!.blocks -= min(owner!.blocks, pointer.address.blockCount) }
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
    func writeCommit(squash forced: Bool) throws(FileSystemError) {
        try requireWritable()
        guard forced || hasPendingChanges else { return }
        var allocator = try allocator()
        let generation = header.generation
        let squash = forced
            || (generation % RedoxFS.allocGCThreshold == 0 && generation >= RedoxFS.allocGCThreshold && allocator.freeBlocks > 0)

        var entries: [AllocEntry]
        var previous = BlockPointer.null
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
            entries = []
            if !working.alloc.isNull {
                let tail = try withReader { (reader) throws(FormatError) in
                    AllocList(block: try reader.reader.read(working.alloc, as: .allocList))
                }
                entries = tail.entries
                previous = tail.previous
                frees.append(working.alloc.address)
            }
            entries += pendingAllocations
        }

        // New log blocks, each logging its own allocation; they never land on blocks freed here.
        var logBlocks: [UInt64] = []
        while logBlocks.count * AllocList.entryCount <= entries.count + frees.count {
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
        var pointer = previous
        for (n, index) in logBlocks.enumerated() {
            let chunk = Array(entries[(n * AllocList.entryCount)..<min(entries.count, (n + 1) * AllocList.entryCount)])
            let block = AllocList(previous: pointer, entries: chunk).encode()
            let hash = SeaHash.hash(block)
            cache.insertDirty(index, block, hash: hash)
            pointer = BlockPointer(address: BlockAddress(index: index, level: 0), hash: hash)
        }
        working.alloc = pointer

        if !baseIsDurable {
            try flushDevice()
            baseIsDurable = true
        }
        try checkRepairWrites()
        try writeDirtyBlocks()
        try flushDevice()
        var next = working
        next.generation = generation + 1
        next.seal(keys: keys)
        do {
            try writeHeader(next)
        } catch {
            // The header may have reached the disk or not: nothing more may be written.
            failure = error
            throw error
        }

        // The header is written: from here on this is the file system, durable or not.
        header = next
        working = next
        allocatorState = allocator
        pendingAllocations.removeAll()
        allocatedInTransaction.removeAll()
        deferredFrees.removeAll()
        cache.commitDirty()
        do {
            try flushDevice()
        } catch {
            failure = error
            throw error
        }
    }

    /// Writes every block of the write cache, encrypted, in ascending address order.
    func writeDirtyBlocks() throws(FileSystemError) {
        var batch = BlockWriteBatch()  // contiguous blocks go out as one gathered write
        for index in cache.dirty.keys.sorted() {
            guard var bytes = cache.dirty[index] else { continue }
            if let cipher {
                bytes.withUnsafeMutableBufferPointer {
                    cipher.encrypt($0, firstUnit: index, unitSize: RedoxFS.blockSize)
                }
            }
            do { try batch.append(bytes, at: startBlock + index, to: &device) } catch { throw .format(error) }
        }
        do { try batch.send(to: &device) } catch { throw .format(error) }
    }

    /// Writes `header` to its ring slot.
    func writeHeader(_ header: Header) throws(FileSystemError) {
        let slot = header.generation % RedoxFS.headerRing
        do {
            try header.bytes.withBytes { (raw) throws(FormatError) in
                try device.writeBlocks(at: startBlock + slot, from: raw)
            }
        } catch {
            throw .format(error)
        }
    }

    func flushDevice() throws(FileSystemError) {
        do { try device.flush() } catch { throw .format(error) }
    }

    /// Total and free 4096-byte blocks (free includes the copy-on-write reserve).
    public func statistics() throws(FileSystemError) -> (blocks: UInt64, freeBlocks: UInt64) {
        try lock.locked { () throws(FileSystemError) in (working.blockCount, try allocator().freeBlocks) }
    }

    /// Free blocks that ordinary allocations may use: the free blocks less the copy-on-write
    /// reserve (statfs's `f_bavail`).
    public func availableBlocks() throws(FileSystemError) -> UInt64 {
        try lock.locked { () throws(FileSystemError) in
            let free = try allocator().freeBlocks
            return free - min(free, reserveBlocks)
        }
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
