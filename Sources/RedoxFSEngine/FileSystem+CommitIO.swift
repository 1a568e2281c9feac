import RedoxFSFormat

/// The device half of a commit (spec §12.3): the encoded blocks out, a flush, the header, a
/// flush; a small commit leaves out the flush between blocks and header (`writesWithOneFlush`).
/// It runs admitting readers (`EngineLocking.admittingReaders`): the committing thread keeps
/// every other changing call out, but reads go on while it waits for the device.
///
/// What a reader sees meanwhile: the working state (`working`, the write cache, the device),
/// which nobody changes until the commit is installed. That state is exactly the one being
/// committed: its tree's blocks sit in the write cache, which readers consult before the device,
/// and are being copied to free blocks of the device, which no reachable pointer of the old or
/// the new tree names until the header is written; blocks the transaction freed stay untouched
/// until the next commit (deferred frees). Readers fill the clean cache on their own
/// (`BlockCache.serialize`). Readers always saw uncommitted changes (the working tree, as
/// before): if this commit then fails before its header, the transaction is undone and readers
/// may have seen the changes it undid, as they could before it was asked for.
extension FileSystemEngine {
    /// How far the device I/O of a commit got.
    private enum CommitOutcome {
        case written
        /// Failed before the header was written: the old header stands.
        case failedBeforeHeader(FileSystemError, baseFlushed: Bool)
        /// The header write itself failed: it may have reached the disk or not.
        case failedAtHeader(FileSystemError)
        /// The header is written, the last flush failed: durable or not is unknown.
        case failedAtLastFlush(FileSystemError)
        /// Writing the header the last commit left pending failed: what is durable is unknown.
        case failedAtPendingHeader(FileSystemError)
    }

    /// Writes the encoded commit (the write cache holds every block, the allocation log
    /// included) to the device as generation `generation`, then installs it: header, working
    /// header, allocator. Called holding the lock exclusively (end of the outermost operation).
    /// `overlapping`: leave the header for the next commit (`overlapsCommits`). `appendingToLog`:
    /// when the commit appends its entries to the newest log block's (no squash), the number of
    /// blocks those entries allocate; nil for a squash.
    func writeCommitToDevice(
        generation: UInt64, allocator: BuddyAllocator, overlapping overlaps: Bool, appendingToLog allocatedBlocks: UInt64?
    ) throws(FileSystemError) {
        var next = working
        next.generation = generation
        next.seal(keys: keys)
        // Copies: readers read `self.device` and the write cache while the I/O runs; they hold
        // their own copies of the device (an image file's copies share its descriptor).
        let blocks = cache.dirty
        var device = self.device
        let flushFirst = !baseIsDurable
        let cipher = self.cipher
        let providers = self.providers
        let startBlock = self.startBlock
        let pending = pendingHeader
        let oneFlush = !overlaps && allocatedBlocks.map { writesWithOneFlush(next, allocatedBlocks: $0) } == true
        let outcome: CommitOutcome = lock.admittingReaders {
            if let pending {
                // The last commit's blocks went out (their write-back started) at its end: make
                // them durable, then its header; only then may blocks it freed be overwritten.
                if let error = Self.writeBetweenFlushes(pending, at: startBlock, to: &device) { return .failedAtPendingHeader(error) }
            } else if flushFirst {
                do throws(FormatError) { try device.flush() } catch { return .failedBeforeHeader(.format(error), baseFlushed: false) }
            }
            do throws(FormatError) {
                try Self.write(blocks, encryptedWith: cipher, providers: providers, at: startBlock, to: &device)
                if overlaps {
                    device.startWriteback()
                    return .written
                }
                if !oneFlush { try device.flush() }
            } catch {
                return .failedBeforeHeader(.format(error), baseFlushed: flushFirst || pending != nil)
            }
            do throws(FormatError) {
                try Self.writeHeaderSlot(next.ringSlot, next.bytes, at: startBlock, to: &device)
            } catch {
                return .failedAtHeader(.format(error))
            }
            do throws(FormatError) { try device.flush() } catch { return .failedAtLastFlush(.format(error)) }
            return .written
        }
        self.device = device

        switch outcome {
        case .failedBeforeHeader(let error, let baseFlushed):
            if baseFlushed { baseIsDurable = true }
            // A pending header is durable now; this commit's blocks are referenced by nothing.
            pendingHeader = nil
            throw error
        case .failedAtPendingHeader(let error):
            // The older header or the pending one stands: nothing more may be written.
            pendingHeader = nil
            failure = error
            throw error
        case .failedAtHeader(let error):
            // The header may have reached the disk or not: nothing more may be written.
            failure = error
            throw error
        case .written, .failedAtLastFlush:
            break
        }
        // The header is written (or, overlapping commits, left for the next commit): from here
        // on this is the file system, durable or not.
        pendingHeader = overlaps ? next : nil
        baseIsDurable = !overlaps
        // The next commit builds on this header, in its own slot (a pending one is written first).
        baseIsRingPredecessor = true
        header = next
        headerSlot = next.ringSlot
        working = next
        allocatorState = allocator
        pendingAllocations.removeAll()
        allocatedInTransaction.removeAll()
        deferredFrees.removeAll()
        treePathsSinceCommit.removeAll(keepingCapacity: true)
        cache.commitDirty()
        if case .failedAtLastFlush(let error) = outcome {
            failure = error
            throw error
        }
    }

    /// Whether the commit of header `next` (appending to the allocation log, not squashing it)
    /// may go out with one flush after its blocks and header instead of a flush between them
    /// (spec §12.3 asks for two). Only when the open-time check (`NewestCommitCheck`) can tell a
    /// torn `next` from an intact one: its appended log entries allocate at most
    /// `smallCommitBlocks` blocks (`allocatedBlocks`, S as the check counts it; the check accepts
    /// a larger S unread, so this bound is what makes skipping the middle flush safe), it writes
    /// no more than that, and the header it builds on is durable (written before this commit's
    /// first write, by the flush of a first commit or of a pending header, or its own commit's
    /// last flush) and is generation `next.generation − 1` in its own ring slot, of the same size
    /// and encryption and key slots (a torn commit that changed a password would otherwise leave
    /// a header whose slots unlock, while the generation in use is sealed with the old ones). A
    /// power cut then leaves `next`'s header with some of its blocks missing,
    /// which the check finds, opening the generation before, which this commit never overwrote
    /// (it writes only blocks free there; blocks it frees are freed by its own log).
    func writesWithOneFlush(_ next: Header, allocatedBlocks: UInt64) -> Bool {
        baseIsRingPredecessor && !isRepairSession && next.generation == header.generation + 1
            && next.size == header.size && next.isEncrypted == header.isEncrypted && next.hasSameKeySlots(as: header)
            && allocatedBlocks <= NewestCommitCheck.smallCommitBlocks
            && UInt64(cache.dirtyBytes) <= NewestCommitCheck.smallCommitBlocks * UInt64(RedoxFS.blockSize)
    }

    /// Writes `bytes` (a sealed header, or zeros that clear the slot) into slot `slot` of the
    /// header ring of the file system at `startBlock`: the one place the ring is written (commits,
    /// pending headers, the key-slot ring rewrite, header-slot repairs).
    static func writeHeaderSlot(_ slot: UInt64, _ bytes: [UInt8], at startBlock: UInt64, to device: inout Device) throws(FormatError) {
        precondition(slot < RedoxFS.headerRing && bytes.count == RedoxFS.blockSize, "one block of the header ring")
        try bytes.withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: startBlock + slot, from: raw) }
    }

    /// `writeHeaderSlot` on this file system's device.
    func writeHeaderSlot(_ slot: UInt64, _ bytes: [UInt8]) throws(FileSystemError) {
        do { try Self.writeHeaderSlot(slot, bytes, at: startBlock, to: &device) } catch { throw .format(error) }
    }

    /// Flushes the blocks before it, writes `header` to its ring slot and flushes again; the
    /// error of the step that failed, if any.
    private static func writeBetweenFlushes(_ header: Header, at startBlock: UInt64, to device: inout Device) -> FileSystemError? {
        do throws(FormatError) {
            try device.flush()
            try writeHeaderSlot(header.ringSlot, header.bytes, at: startBlock, to: &device)
            try device.flush()
            return nil
        } catch {
            return .format(error)
        }
    }

    /// Writes the header the last commit left pending (`overlapsCommits`) between flushes, making
    /// that commit durable. Called holding the lock exclusively.
    func writePendingHeaderLocked() throws(FileSystemError) {
        guard let pending = pendingHeader else { return }
        var device = self.device
        let startBlock = self.startBlock
        let error = lock.admittingReaders { Self.writeBetweenFlushes(pending, at: startBlock, to: &device) }
        self.device = device
        pendingHeader = nil
        if let error {
            // The older header or the pending one stands: nothing more may be written.
            failure = error
            throw error
        }
        baseIsDurable = true
    }

    /// Bytes a commit writes between two write-back starts: the device begins writing the first
    /// of a large commit's blocks while the rest are still being handed over, so the flush after
    /// them finds less left.
    static var writebackStartBytes: Int { 8 << 20 }

    /// Bytes of blocks an encrypted commit encrypts as one stage (`write(_:encryptedWith:providers:at:to:)`):
    /// one gathered write's worth (`BlockWriteBatch.byteLimit`).
    static var encryptionStageBytes: Int { BlockWriteBatch.byteLimit }

    /// Writes `blocks` (by file-system block index) in ascending address order, contiguous
    /// blocks gathered into one write; with a cipher, encrypted in stages of about
    /// `encryptionStageBytes` (`stageBounds`), each encrypted (the platform may encrypt the next
    /// one on another thread, `EngineProviders.pipeline`) while the one before is written.
    private static func write(
        _ blocks: [UInt64: [UInt8]], encryptedWith cipher: Providers.Cipher?, providers: Providers, at startBlock: UInt64,
        to device: inout Device
    ) throws(FormatError) {
        guard let cipher else {
            try writePlain(blocks, at: startBlock, to: &device)
            return
        }
        let sorted = blocks.sorted(by: { $0.key < $1.key })
        let bounds = stageBounds(of: sorted)
        let stages = [EncryptedStage(), EncryptedStage()]
        var batch = BlockWriteBatch()  // contiguous blocks go out as one gathered write
        var sinceStart = 0
        try providers.pipeline(count: bounds.count - 1) { stage in
            stages[stage % 2].encrypt(sorted[bounds[stage]..<bounds[stage + 1]], with: cipher)
        } finish: { (stage) throws(FormatError) in
            let buffers = stages[stage % 2].buffers
            for (position, index) in (bounds[stage]..<bounds[stage + 1]).enumerated() {
                let bytes = buffers[position]
                if sinceStart >= writebackStartBytes {
                    device.startWriteback()
                    sinceStart = 0
                }
                sinceStart += bytes.count
                try batch.append(bytes, at: startBlock + sorted[index].key, to: &device)
            }
            // Sent here, so that no buffer of the stage is held when it is encrypted into again.
            try batch.send(to: &device)
        }
    }

    /// Where the stages of an encrypted commit's `sorted` blocks begin, and the end: a stage
    /// ends before the block that would take it past `encryptionStageBytes` (a block larger than
    /// that is a stage of its own), so a stage's contiguous blocks fit one gathered write, as
    /// `BlockWriteBatch` would cut them without stages.
    static func stageBounds(of sorted: [(key: UInt64, value: [UInt8])]) -> [Int] {
        var bounds = [0]
        var staged = 0
        for (position, block) in sorted.enumerated() {
            if staged > 0 && staged + block.value.count > encryptionStageBytes {
                bounds.append(position)
                staged = 0
            }
            staged += block.value.count
        }
        if !sorted.isEmpty { bounds.append(sorted.count) }
        return bounds
    }

    /// `write(_:encryptedWith:providers:at:to:)` of a file system without encryption.
    private static func writePlain(_ blocks: [UInt64: [UInt8]], at startBlock: UInt64, to device: inout Device) throws(FormatError) {
        var batch = BlockWriteBatch()  // contiguous blocks go out as one gathered write
        var sinceStart = 0
        for (index, block) in blocks.sorted(by: { $0.key < $1.key }) {
            if sinceStart >= writebackStartBytes {
                device.startWriteback()
                sinceStart = 0
            }
            sinceStart += block.count
            try batch.append(block, at: startBlock + index, to: &device)
        }
        try batch.send(to: &device)
    }
}

extension Header {
    /// The header ring slot this generation is written to.
    var ringSlot: UInt64 { generation % RedoxFS.headerRing }
}
