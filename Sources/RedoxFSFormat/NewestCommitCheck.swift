/// The open-time check of the newest generation's own blocks (every opener of the newest
/// generation runs it). A small commit may be written with one flush: its blocks and its header go
/// out together and one flush follows, so a power cut can leave a valid newest header N whose
/// blocks are partly missing. Such a commit writes at most `smallCommitBlocks` blocks; a larger
/// one flushes its blocks before its header, as every commit used to.
///
/// The check: S = the blocks in use in N and free in generation N−1 (which a one-flush commit
/// found durable): the blocks commit N wrote, read from the entries it appended to N−1's log
/// (`newBlocks`). Walking from N's roots and going only into pointers whose block lies in
/// S reaches every block of S (copy-on-write: a new block's parent is new too), and each is read
/// and verified against its pointer's hash. A block that fails (N's new log blocks included)
/// means commit N is torn: generation N−1, whose
/// blocks commit N never overwrote (it allocated only blocks free in N−1), is the file system.
/// More than `smallCommitBlocks` blocks in S (counted from the log before any walk), or a squashed
/// log, means commit N flushed its blocks before its header: it is accepted without reading further.
public enum NewestCommitCheck {
    /// The most blocks a commit written with one flush may write (blocks of 4 KiB; a pointer of
    /// level L counts 2^L). The check reads at most this many.
    public static let smallCommitBlocks: UInt64 = 256

    /// What the check found.
    public enum Outcome: Equatable, Sendable {
        /// Every block of S verifies (`blocks` of them).
        case intact(blocks: UInt64)
        /// S holds more than `smallCommitBlocks` blocks, or commit N squashed the allocation log
        /// (or was not ours): it had two flushes.
        case large
        /// Nothing to compare with: no valid generation N−1 of the same file system and size in
        /// its slot, or its newest log block does not verify; or a block of N breaks the format's
        /// rules in a way no power cut does (damage). The newest generation is used as is.
        case notChecked
        /// Commit N is torn: `previous` (generation N−1) is the file system; `cause` is the first
        /// block of S that did not verify.
        case torn(previous: HeaderRing.Location, cause: FormatError)
        /// The device failed a read the check needed (`cause`, an `.io` error): whether commit N
        /// is torn is unknown. Deciding either way could lose data (a durable N given up, or a
        /// torn N built on), so an opener that would write must not go on.
        case unreadable(cause: FormatError)
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
        let block: [UInt8]
        do throws(FormatError) {
            block = try device.readBlocks(at: newest.startBlock + slot, count: 1)
        } catch {
            return .unreadable(cause: error)
        }
        let older = Header(block: block)
        guard older.isValid, older.uuid == header.uuid, older.generation == generation, older.size == header.size,
              older.isEncrypted == header.isEncrypted
        else { return .notChecked }
        let previous = HeaderRing.Location(header: older, startBlock: newest.startBlock, slot: slot)
        var reader = DeviceBlockReader(device: device, startBlock: newest.startBlock, blockCount: blockCount, cipher: cipher)
        let written: [Range<UInt64>]
        switch newBlocks(newestLog: header.alloc, previousLog: older.alloc, reader: &reader) {
        case .found(let ranges): written = ranges
        case .notFound: return .notChecked
        case .notAppended, .tooMany: return .large
        case .failed(let cause): return Self.judge(cause, previous: previous)
        }
        var walk = NewBlockWalk(
            device: device, startBlock: newest.startBlock, blockCount: blockCount, cipher: cipher, written: written)
        ReachableBlocks.walkTree(header.tree, visitor: &walk)
        if walk.stop == nil { ReachableBlocks.walkAllocationLog(header.alloc, visitor: &walk) }
        if walk.stop == nil { ReachableBlocks.walkReleaseList(header.release, visitor: &walk) }
        switch walk.stop {
        case nil:
            return .intact(blocks: walk.blocks)
        case .large:
            return .large
        case .failed(let cause):
            return Self.judge(cause, previous: previous)
        }
    }

    /// A block of commit N that did not read back. A block the power cut kept from the disk reads
    /// as older bytes, which fail their hash: only that makes N torn. A device error says nothing
    /// about the commit. A pointer that breaks the format's rules (out of bounds, a wrong level) in
    /// N's header or in a block that verified is no power cut's doing, since both were written
    /// whole: damage, which the openers meet and report as before (N is used as is).
    static func judge(_ cause: FormatError, previous: HeaderRing.Location) -> Outcome {
        switch cause {
        case .hashMismatch: return .torn(previous: previous, cause: cause)
        case .io: return .unreadable(cause: cause)
        default: return .notChecked
        }
    }

    /// What `newBlocks(newestLog:previousLog:reader:)` found.
    enum NewBlocks {
        /// The blocks the newest commit allocated (S), sorted by address, not overlapping, at most
        /// `smallCommitBlocks` of them.
        case found([Range<UInt64>])
        /// S holds more than `smallCommitBlocks` blocks: a commit written with two flushes.
        case tooMany
        /// The previous generation's newest log block does not verify: nothing to compare with.
        case notFound
        /// The newest log is not the previous one with entries appended (a squash, or another
        /// writer's commit): not a commit written with one flush.
        case notAppended
        /// A block of the newest log that is not the previous generation's does not verify, or the
        /// device failed a read (`.io`, from either log).
        case failed(FormatError)
    }

    /// S: the blocks in use in the generation whose log's newest block is `newestLog` and free in
    /// the one before (log `previousLog`). An ordinary commit rewrites the previous log's newest
    /// block T as a copy holding T's entries and its own (spec §11.4; more blocks when they
    /// overflow), linked to T's predecessor: S is what the entries after T's allocate, read from
    /// the new blocks alone (the older log is not replayed). Only such commits are written with
    /// one flush (a squash keeps two), so any other log needs no S.
    static func newBlocks<Device: BlockDevice, Cipher: XTSCipher>(
        newestLog: BlockPointer, previousLog: BlockPointer, reader: inout DeviceBlockReader<Device, Cipher>
    ) -> NewBlocks {
        var tail = AllocList()
        if !previousLog.isNull {
            do throws(FormatError) {
                tail = AllocList(block: try reader.read(previousLog, as: .allocList))
            } catch {
                if case .io = error { return .failed(error) }
                return .notFound
            }
        }
        // The newest log's own blocks, newest first, down to T's predecessor.
        var own: [AllocList] = []
        var pointer = newestLog
        while !pointer.isNull, pointer != tail.previous, UInt64(own.count) <= smallCommitBlocks {
            do throws(FormatError) {
                let list = AllocList(block: try reader.read(pointer, as: .allocList))
                own.append(list)
                pointer = list.previous
            } catch {
                return .failed(error)
            }
        }
        if pointer == tail.previous, !own.isEmpty || previousLog.isNull {
            var entries: [AllocEntry] = []
            for list in own.reversed() { entries += list.entries }
            if entries.count >= tail.entries.count, Array(entries[0..<tail.entries.count]) == tail.entries {
                var ranges: [Range<UInt64>] = []
                var total: UInt64 = 0
                for entry in entries[tail.entries.count...] where entry.count < 0 {
                    let count = entry.count.magnitude
                    // Counted with an early exit, and without trapping on forged entries: an
                    // allocation that wraps is no commit of ours (accepted as written with two
                    // flushes; the readers' own checks meet whatever else is wrong with it).
                    total += min(count, smallCommitBlocks + 1)
                    let (end, wrapped) = entry.index.addingReportingOverflow(count)
                    if total > smallCommitBlocks || wrapped { return .tooMany }
                    ranges.append(entry.index..<end)
                }
                ranges.sort { $0.lowerBound < $1.lowerBound }
                // Merged, so that `isWritten`'s binary search sees disjoint ranges.
                var merged: [Range<UInt64>] = []
                for range in ranges {
                    if let last = merged.last, range.lowerBound <= last.upperBound {
                        merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
                    } else {
                        merged.append(range)
                    }
                }
                return .found(merged)
            }
        }
        return .notAppended
    }
}

/// Why `NewBlockWalk` stopped.
private enum WalkStop { case large, failed(FormatError) }

/// The walk of `NewestCommitCheck`: visits only blocks of S, reads and verifies
/// each, and stops at the first that fails or once more than `smallCommitBlocks` are counted.
/// It never throws: it records why it stopped and then visits nothing more.
private struct NewBlockWalk<Device: BlockDevice, Cipher: XTSCipher>: BlockVisitor {
    typealias Failure = Never

    var device: Device
    let startBlock: UInt64
    let blockCount: UInt64
    let cipher: Cipher?
    /// S, sorted by address.
    let written: [Range<UInt64>]
    var blocks: UInt64 = 0
    var stop: WalkStop?
    /// Blocks of S read so far, sorted: a block named twice (only a damaged image does that) is
    /// read and counted once.
    var visited: [UInt64] = []

    init(device: Device, startBlock: UInt64, blockCount: UInt64, cipher: Cipher?, written: [Range<UInt64>]) {
        self.device = device
        self.startBlock = startBlock
        self.blockCount = blockCount
        self.cipher = cipher
        self.written = written
    }

    /// Whether block `index` lies in S (binary search).
    func isWritten(_ index: UInt64) -> Bool {
        var low = 0, high = written.count
        while low < high {
            let middle = (low + high) / 2
            if written[middle].upperBound <= index { low = middle + 1 } else { high = middle }
        }
        return low < written.count && written[low].contains(index)
    }

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
        guard stop == nil, !pointer.isMarker else { return nil }
        let address = pointer.address
        guard isWritten(address.index) else { return nil }
        var low = 0, high = visited.count
        while low < high {
            let middle = (low + high) / 2
            if visited[middle] < address.index { low = middle + 1 } else { high = middle }
        }
        if low < visited.count, visited[low] == address.index { return nil }
        visited.insert(address.index, at: low)
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
