import RedoxFSFormat

/// A commit an operation asked for; made when the outermost operation has succeeded.
struct CommitRequest {
    var squash: Bool
}

/// One change to the open transaction's allocation records, kept so a failed operation can undo it.
enum AllocationChange {
    /// `allocate` appended a pending allocation and recorded the block as the transaction's.
    case allocated(UInt64)
    /// `free` dropped a block the transaction had allocated (and its pending entry, when found).
    case freedAllocation(index: UInt64, level: UInt8, position: Int?, entry: AllocEntry?)
    /// `free` appended a deferred free.
    case deferredFree
}

/// The one scope every change of the file system runs in (as upstream scopes a transaction to a
/// closure). The outermost `transaction` call owns the open transaction's state: when its body
/// or its commit fails, everything is undone — working header, allocator, pending allocations,
/// deferred frees, open counts, write cache — and the error is passed on. Nested calls join it:
/// a nested failure undoes only the nested call's changes, and nothing is committed until the
/// outermost call has succeeded. Then it commits when asked to (`commit`, `sync`), when the write
/// cache has reached the threshold, or when the copy-on-write reserve is in use.
///
/// A commit whose header write failed, or whose final flush failed, leaves the durable state
/// unknown; the file system then refuses every further change (`failure`) until it is reopened.
extension FileSystemEngine {
    /// Everything an operation may change before it commits.
    struct TransactionSnapshot {
        var header: Header
        var working: Header
        var allocatorState: BuddyAllocator?
        /// Whole copies of the allocation records, in repair sessions only (they replace them
        /// wholesale); other sessions undo through `allocationJournal`.
        var copies: (pending: [AllocEntry], allocated: [UInt64: UInt8], frees: [BlockAddress])?
        /// Position in the allocation journal.
        var allocationMark: Int
        var openCounts: [UInt32: Int]
        var commitRequest: CommitRequest?
        var mayUseReserve: Bool
        /// Position in the cache's journal.
        var cacheMark: Int
    }

    /// Saves the transaction state and starts journaling the write cache; pair with `restore` or
    /// `discard`.
    private func snapshot() -> TransactionSnapshot {
        TransactionSnapshot(
            header: header, working: working, allocatorState: allocatorState,
            copies: isRepairSession ? (pendingAllocations, allocatedInTransaction, deferredFrees) : nil,
            allocationMark: allocationJournal.count, openCounts: openCounts,
            commitRequest: commitRequest, mayUseReserve: mayUseReserve, cacheMark: cache.beginJournal())
    }

    private func restore(_ snapshot: TransactionSnapshot) {
        working = snapshot.working
        allocatorState = snapshot.allocatorState
        if let copies = snapshot.copies {
            pendingAllocations = copies.pending
            allocatedInTransaction = copies.allocated
            deferredFrees = copies.frees
        } else {
            undoAllocations(to: snapshot.allocationMark)
        }
        openCounts = snapshot.openCounts
        commitRequest = snapshot.commitRequest
        mayUseReserve = snapshot.mayUseReserve
        cache.rollBack(to: snapshot.cacheMark)
        cache.endJournal()
    }

    private func discard(_ snapshot: TransactionSnapshot) {
        cache.endJournal()
    }

    /// Runs `body` as one operation under the lock (see the type's description).
    func transaction<T>(_ body: () throws(FileSystemError) -> T) throws(FileSystemError) -> T {
        try lock.locked { () throws(FileSystemError) in
            let saved = snapshot()
            let outermost = transactionDepth == 0
            transactionDepth += 1
            defer {
                transactionDepth -= 1
                if outermost {
                    commitRequest = nil
                    mayUseReserve = false
                    allocationJournal.removeAll(keepingCapacity: true)
                }
            }
            do throws(FileSystemError) {
                let result = try body()
                if outermost { try finishTransaction() }
                discard(saved)
                return result
            } catch {
                if header.generation != saved.header.generation {
                    // The commit's header was written before the failure: that state stays.
                    discard(saved)
                } else {
                    restore(saved)
                }
                throw error
            }
        }
    }

    /// Records an allocation change while an operation runs (outside one nothing is undone).
    func journalAllocation(_ change: AllocationChange) {
        guard transactionDepth > 0, !isRepairSession else { return }
        allocationJournal.append(change)
    }

    /// Undoes the allocation changes recorded after `mark`, newest first.
    private func undoAllocations(to mark: Int) {
        guard mark < allocationJournal.count else { return }
        for change in allocationJournal[mark...].reversed() {
            switch change {
            case .allocated(let index):
                if let at = pendingAllocations.lastIndex(where: { $0.index == index && $0.count < 0 }) {
                    pendingAllocations.remove(at: at)
                }
                allocatedInTransaction[index] = nil
            case .freedAllocation(let index, let level, let position, let entry):
                if let position, let entry { pendingAllocations.insert(entry, at: min(position, pendingAllocations.count)) }
                allocatedInTransaction[index] = level
            case .deferredFree:
                if !deferredFrees.isEmpty { deferredFrees.removeLast() }
            }
        }
        allocationJournal.removeLast(allocationJournal.count - mark)
    }

    /// The end of the outermost operation: the commit it asked for, or an automatic one.
    private func finishTransaction() throws(FileSystemError) {
        if let request = commitRequest {
            try writeCommit(squash: request.squash)
            return
        }
        guard !isRepairSession, isWritable, !closed, hasPendingChanges else { return }
        let free = try allocator().freeBlocks
        if cache.dirtyBytes >= thresholdStorage || free < reserveBlocks {
            try writeCommit(squash: false, automatic: true)
        }
    }

    /// Asks for a commit at the end of the outermost operation.
    func requestCommit(squash: Bool) {
        commitRequest = CommitRequest(squash: squash || commitRequest?.squash == true)
    }

    /// Lets the running operation allocate from the copy-on-write reserve: it frees space
    /// (unlink, rmdir, shrinking truncate, hole punch, deleting released nodes).
    func useReserve() {
        mayUseReserve = true
    }

    /// Refuses operations that must commit by themselves (resize, key slots, unmount) inside
    /// another operation, where they could not.
    func requireOutermost(_ operation: String) throws(FileSystemError) {
        guard transactionDepth == 0 else {
            throw .invalidArgument("\(operation) cannot run inside another file-system operation")
        }
    }

    func requireWritable() throws(FileSystemError) {
        guard isWritable else { throw .system(operation: "write", path: "file system", errno: POSIXCode.EROFS) }
        if closed { throw .system(operation: "write", path: "file system", errno: POSIXCode.EBADF) }
        if let failure { throw failure }
    }

    /// Blocks held back for copy-on-write: ordinary allocations fail with ENOSPC before they
    /// reach them, so that an operation freeing space and the commit that frees it always find
    /// room. Kept in memory only (nothing on disk records it), so it applies to any image.
    var reserveBlocks: UInt64 { Self.reserveBlocks(forBlocks: working.blockCount) }

    /// Free blocks the running operation may not allocate: in a repair session what its commit
    /// needs for the new allocation log (`RepairSession.commitReserve`), else the copy-on-write
    /// reserve unless the operation frees space.
    var heldBackBlocks: UInt64 {
        if let repairSession { return repairSession.commitReserve }
        return mayUseReserve ? 0 : reserveBlocks
    }

    /// 64 blocks plus 1/1024 of the file system, at most 4096 blocks (16 MiB) and at most an
    /// eighth of what lies past the header ring and the first structures.
    static func reserveBlocks(forBlocks blocks: UInt64) -> UInt64 {
        let usable = blocks - min(blocks, 260)
        return min(64 + blocks / 1024, 4096, usable / 8)
    }

    /// Throws the injected ENOSPC when its countdown (crash tests) has run out.
    func takeInjectedAllocationFailure(_ operation: String) throws(FileSystemError) {
        guard let left = allocationsBeforeInjectedFailure else { return }
        if left > 0 {
            allocationsBeforeInjectedFailure = left - 1
            return
        }
        allocationsBeforeInjectedFailure = nil
        throw .system(operation: operation, path: "file system (injected)", errno: POSIXCode.ENOSPC)
    }

    /// Whether an earlier commit failed after writing its header, so that changes are refused.
    public var hasFailed: Bool { lock.sharedLocked { failure != nil } }
}
