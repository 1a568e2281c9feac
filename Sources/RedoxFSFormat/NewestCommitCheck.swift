/// The open-time check of the newest generation's own blocks (every opener of the newest
/// generation runs it). A small commit may be written with one flush: its blocks and its header go
/// out together and one flush follows, so a power cut can leave a valid newest header N whose
/// blocks are partly missing. Such a commit writes at most `smallCommitBlocks` blocks; a larger
/// one flushes its blocks before its header, as every commit used to.
///
/// The check: S = the blocks the newest tree, allocation log and release list reach that were free
/// in generation N−1 (replaying N−1's allocation log, which a one-flush commit found durable), the
/// blocks commit N wrote. Walking from N's roots and going only into pointers whose block lies in
/// S reaches every block of S (copy-on-write: a new block's parent is new too), and each is read
/// and verified against its pointer's hash. A block that fails (or N's allocation log not
/// replaying: its newest block is always new) means commit N is torn: generation N−1, whose
/// blocks commit N never overwrote (it allocated only blocks free in N−1), is the file system.
/// More than `smallCommitBlocks` blocks in S (counted from the two logs before any walk) means
/// commit N flushed its blocks before its header: it is accepted without reading further.
public enum NewestCommitCheck {
    /// The most blocks a commit written with one flush may write (blocks of 4 KiB; a pointer of
    /// level L counts 2^L). The check reads at most this many.
    public static let smallCommitBlocks: UInt64 = 256

    /// What the check found.
    public enum Outcome: Equatable, Sendable {
        /// Every block of S verifies (`blocks` of them).
        case intact(blocks: UInt64)
        /// S holds more than `smallCommitBlocks` blocks: commit N had two flushes.
        case large
        /// Nothing to compare with: no valid generation N−1 of the same file system and size in
        /// its slot, or its allocation log does not replay. The newest generation is used as is.
        case notChecked
        /// Commit N is torn: `previous` (generation N−1) is the file system; `cause` is the first
        /// block of S that did not verify.
        case torn(previous: HeaderRing.Location, cause: FormatError)
    }

    /// Checks the newest generation `newest` of the file system on `device` (decrypting with
    /// `cipher` when encrypted). Reads only.
    public static func check<Device: BlockDevice, Cipher: XTSCipher>(
        _ newest: HeaderRing.Location, on device: inout Device, cipher: Cipher?
    ) -> Outcome {
        let header = newest.header
        guard header.generation > 0 else { return .notChecked }
        let generation = header.generation - 1
        let slot = generation % RedoxFS.headerRing
        let blockCount = header.blockCount
        guard let block = try? device.readBlocks(at: newest.startBlock + slot, count: 1) else { return .notChecked }
        let older = Header(block: block)
        guard older.isValid, older.uuid == header.uuid, older.generation == generation, older.size == header.size,
              older.isEncrypted == header.isEncrypted
        else { return .notChecked }
        guard let free = replay(older.alloc, on: &device, startBlock: newest.startBlock, blockCount: blockCount, cipher: cipher)
        else { return .notChecked }
        let previous = HeaderRing.Location(header: older, startBlock: newest.startBlock, slot: slot)
        // |S| from the two logs: the walk below could not count what lies under a block that
        // fails. A newest log that does not replay is itself a block of S that failed (the log's
        // newest block is new in every commit; its older blocks are generation N−1's, which replay).
        let now: BuddyAllocator
        switch replayOrFailure(header.alloc, on: &device, startBlock: newest.startBlock, blockCount: blockCount, cipher: cipher) {
        case .success(let allocator): now = allocator
        case .failure(let cause): return .torn(previous: previous, cause: cause)
        }
        if newBlocks(freeBefore: free, freeAfter: now) > smallCommitBlocks { return .large }
        var walk = NewBlockWalk(
            device: device, startBlock: newest.startBlock, blockCount: blockCount, cipher: cipher, freeBefore: free)
        ReachableBlocks.walkTree(header.tree, visitor: &walk)
        if walk.stop == nil { ReachableBlocks.walkAllocationLog(header.alloc, visitor: &walk) }
        if walk.stop == nil { ReachableBlocks.walkReleaseList(header.release, visitor: &walk) }
        switch walk.stop {
        case nil:
            return .intact(blocks: walk.blocks)
        case .large:
            return .large
        case .failed(let cause):
            return .torn(previous: previous, cause: cause)
        }
    }

    /// The free-space map of the allocation log whose newest block is `newest` (spec §11.3), or nil
    /// when a block does not verify or the log does not replay.
    static func replay<Device: BlockDevice, Cipher: XTSCipher>(
        _ newest: BlockPointer, on device: inout Device, startBlock: UInt64, blockCount: UInt64, cipher: Cipher?
    ) -> BuddyAllocator? {
        guard case .success(let allocator) = replayOrFailure(
            newest, on: &device, startBlock: startBlock, blockCount: blockCount, cipher: cipher)
        else { return nil }
        return allocator
    }

    /// `replay`, with the reason it failed.
    static func replayOrFailure<Device: BlockDevice, Cipher: XTSCipher>(
        _ newest: BlockPointer, on device: inout Device, startBlock: UInt64, blockCount: UInt64, cipher: Cipher?
    ) -> Result<BuddyAllocator, FormatError> {
        var chain: [AllocList] = []
        var pointer = newest
        while !pointer.isNull {
            // Each block's hash covers the pointer to the one before it, so a verified chain has no
            // cycle short of a hash collision; the bound only guarantees an end. (No Set here: the
            // UEFI loader links no `ceil`, which hashed collections need.)
            guard UInt64(chain.count) < blockCount else {
                return .failure(.malformed(.allocList, block: pointer.address.index, .cycle))
            }
            do throws(FormatError) {
                let bytes = try readVerifiedBlock(
                    pointer, as: .allocList, from: &device, startBlock: startBlock, blockCount: blockCount, cipher: cipher)
                let list = AllocList(block: bytes)
                chain.append(list)
                pointer = list.previous
            } catch {
                return .failure(error)
            }
        }
        var allocator = BuddyAllocator()
        for list in chain.reversed() {
            for entry in list.entries {
                let count = UInt64(entry.count.magnitude)
                guard entry.index >= RedoxFS.headerRing, entry.index < blockCount, blockCount - entry.index >= count,
                      allocator.apply(entry) == nil
                else { return .failure(.malformed(.allocList, block: entry.index, .fieldOutOfRange)) }
            }
        }
        return .success(allocator)
    }

    /// Blocks free in `freeBefore` but not in `freeAfter` (what a commit took).
    static func newBlocks(freeBefore: BuddyAllocator, freeAfter: BuddyAllocator) -> UInt64 {
        let before = extents(freeBefore)
        let after = extents(freeAfter)
        var shared: UInt64 = 0
        var j = 0
        for piece in before {
            while j < after.count, after[j].upperBound <= piece.lowerBound { j += 1 }
            var k = j
            while k < after.count, after[k].lowerBound < piece.upperBound {
                shared += min(piece.upperBound, after[k].upperBound) - max(piece.lowerBound, after[k].lowerBound)
                k += 1
            }
        }
        return freeBefore.freeBlocks - shared
    }

    /// The free pieces of `allocator` in address order.
    static func extents(_ allocator: BuddyAllocator) -> [Range<UInt64>] {
        var pieces: [Range<UInt64>] = []
        for (level, starts) in allocator.free.enumerated() {
            for start in starts { pieces.append(start..<start + (UInt64(1) << UInt64(level))) }
        }
        pieces.sort { $0.lowerBound < $1.lowerBound }
        return pieces
    }
}

/// Why `NewBlockWalk` stopped.
private enum WalkStop { case large, failed(FormatError) }

/// The walk of `NewestCommitCheck`: visits only blocks free before the commit, reads and verifies
/// each, and stops at the first that fails or once more than `smallCommitBlocks` are counted.
/// It never throws: it records why it stopped and then visits nothing more.
private struct NewBlockWalk<Device: BlockDevice, Cipher: XTSCipher>: BlockVisitor {
    typealias Failure = Never

    var device: Device
    let startBlock: UInt64
    let blockCount: UInt64
    let cipher: Cipher?
    let freeBefore: BuddyAllocator
    var blocks: UInt64 = 0
    var stop: WalkStop?

    init(device: Device, startBlock: UInt64, blockCount: UInt64, cipher: Cipher?, freeBefore: BuddyAllocator) {
        self.device = device
        self.startBlock = startBlock
        self.blockCount = blockCount
        self.cipher = cipher
        self.freeBefore = freeBefore
    }

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
        guard stop == nil, !pointer.isMarker else { return nil }
        let address = pointer.address
        guard address.index < blockCount, freeBefore.contains(address.index) else { return nil }
        blocks += address.blockCount
        if blocks > NewestCommitCheck.smallCommitBlocks {
            stop = .large
            return nil
        }
        do throws(FormatError) {
            return try readVerifiedBlock(
                pointer, as: role.structure, from: &device, startBlock: startBlock, blockCount: blockCount, cipher: cipher)
        } catch {
            stop = .failed(error)
            return nil
        }
    }
}

/// A newest commit found torn at open (see `NewestCommitCheck`): a commit written with one flush
/// whose blocks did not all reach the disk before a power cut.
public struct TornCommit: Equatable, Sendable {
    /// The generation of the torn commit (its header is valid, some of its blocks are not).
    public var generation: UInt64
    /// The generation opened instead (the one before it).
    public var usedGeneration: UInt64
    /// The first of the commit's blocks that did not verify.
    public var cause: FormatError

    public init(generation: UInt64, usedGeneration: UInt64, cause: FormatError) {
        self.generation = generation
        self.usedGeneration = usedGeneration
        self.cause = cause
    }

    /// One line for a report.
    public var description: String {
        "the newest commit (generation \(generation)) was torn by a power cut before its flush ended; generation \(usedGeneration) is in use"
    }
}
