@testable import RedoxFS
@testable import RedoxFSCheck
@testable import RedoxFSEngine
import Testing

/// Hostile entries in the allocation log a newest one-flush commit appended (the entries the
/// open-time check reads S from, `NewestCommitCheck`): wrapping ranges, counts near the limits,
/// one block named many times, blocks past the end of the disk, tens of thousands of entries.
/// The forged log blocks carry valid hashes, so every reader takes them as written. Every opener
/// (the check itself on a plain `BlockDevice`, as the UEFI loader's `BootVolume` calls it; the
/// engine; `FileSystemChecker`) ends with a clear result: the right generation, or a typed error
/// and a report. Work is bounded by counting the blocks each reads, through a device that fails
/// every read past its budget (a loop that kept reading would end there, and the test fails).
@Suite struct ForgedCommitLogTests {
    /// What is appended to the newest commit's log entries.
    enum Forgery: String, CaseIterable, Sendable {
        /// An allocation whose index + count wraps past UInt64.max.
        case wrappingRange
        /// Allocations of Int64.min and −Int64.max blocks, and a free of Int64.max.
        case extremeCounts
        /// The root tree list allocated 200 times (S stays ≤ 256 blocks once merged).
        case sameBlockOften
        /// The root tree list allocated 300 times (more than 256: not a one-flush commit).
        case sameBlockTooOften
        /// Allocations past the end of the disk (and at 2^50).
        case pastTheEnd
        /// 200 log blocks of frees (51,000 entries): S unchanged, the log long.
        case manyFrees
        /// 600 log blocks of allocation and free pairs (153,000 entries): longer than any
        /// one-flush commit's log, and than the check's whole budget.
        case manyEntries

        /// Whether the check still finds S of at most 256 blocks (so a missing block of the
        /// commit makes it torn); otherwise it takes the commit as written with two flushes.
        var keepsASmallS: Bool {
            switch self {
            case .sameBlockOften, .pastTheEnd, .manyFrees: return true
            default: return false
            }
        }
    }

    static let blocks: UInt64 = 2048
    /// Blocks the forged log blocks take (far above what the small files use).
    static let forgedLogStart: UInt64 = 1200

    /// The most blocks the open-time check may read: generation N−1's header and newest log
    /// block, the newest log's own blocks (it stops after 257), the blocks of S.
    static let checkBudget = 2 + (NewestCommitCheck.smallCommitBlocks + 1) + NewestCommitCheck.smallCommitBlocks

    /// An image with generation N−1 holding "keep" and commit N (one flush) adding "new"; then N's
    /// newest log block rewritten with `forgery`'s entries appended (valid hashes, header re-sealed).
    /// `tearing`: also zero N's root tree list (a block of S), as a power cut before the flush would.
    static func forgedImage(_ forgery: Forgery, tearing: Bool, encrypted: Bool) throws -> (bytes: [UInt8], newest: UInt64) {
        let password = encrypted ? OneFlushCommitTests.password : nil
        let device = RecordingDevice(recordingOver: try OneFlushCommitTests.formatted(encrypted: encrypted, blocks: blocks))
        let fs = try FileSystem(device: device, password: password, writable: true)
        fs.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        _ = try fs.create(Array("keep".utf8), in: RedoxFS.rootNodeID, attributes: OneFlushCommitTests.attributes(), content: [UInt8](repeating: 1, count: 9000))
        try fs.sync()
        let start = device.events.count
        _ = try fs.create(Array("new".utf8), in: RedoxFS.rootNodeID, attributes: OneFlushCommitTests.attributes(), content: [UInt8](repeating: 2, count: 5000))
        try fs.sync()
        #expect(OneFlushCommitTests.flushes(device.events[start...]) == 1)
        var forger = LogForger(bytes: device.memory.bytes, header: fs.header, startBlock: fs.startBlock, keys: fs.keys)
        fs.close()

        let newest = forger.header
        let root = newest.tree.address.index
        var entries = AllocList(block: try forger.read(newest.alloc)).entries
        var listCount = 1
        switch forgery {
        case .wrappingRange:
            entries += [AllocEntry(index: UInt64.max - 1, count: -4), AllocEntry(index: UInt64.max, count: -1)]
        case .extremeCounts:
            entries += [AllocEntry(index: 64, count: Int64.min), AllocEntry(index: 64, count: -Int64.max), AllocEntry(index: 64, count: Int64.max)]
        case .sameBlockOften:
            entries += (0..<200).map { _ in AllocEntry(index: root, count: -1) }
        case .sameBlockTooOften:
            entries += (0..<300).map { _ in AllocEntry(index: root, count: -1) }
        case .pastTheEnd:
            entries += [AllocEntry(index: blocks + 10, count: -4), AllocEntry(index: 1 << 50, count: -1), AllocEntry(index: blocks - 1, count: -8)]
        case .manyFrees:
            listCount = 200
            entries += (0..<(listCount * AllocList.entryCount - entries.count)).map { AllocEntry(index: 2000 + UInt64($0 % 40), count: 1) }
        case .manyEntries:
            listCount = 600
            entries += (0..<(listCount * AllocList.entryCount - entries.count)).map {
                AllocEntry(index: 2000 + UInt64($0 / 2 % 40), count: $0 % 2 == 0 ? -1 : 1)
            }
        }
        try forger.replaceNewestLog(with: entries, lists: listCount, at: forgedLogStart)
        if tearing { try forger.zero(root) }
        return (forger.bytes, newest.generation)
    }

    /// The open-time check alone, on a plain `BlockDevice` with no engine around it (the loader's
    /// path): it reads at most `checkBudget` blocks and decides as `keepsASmallS` says.
    @Test(arguments: Forgery.allCases, [false, true])
    func theCheckReadsABoundedNumberOfBlocks(forgery: Forgery, tearing: Bool) throws {
        let (bytes, newest) = try Self.forgedImage(forgery, tearing: tearing, encrypted: false)
        var memory = MemoryDevice(bytes: bytes)
        let location = try HeaderRing.locate(on: &memory, startBlock: nil, deviceBlocks: memory.blockCount)
        #expect(location.header.generation == newest)
        var device = BudgetedDevice(base: memory, budget: Self.checkBudget)
        let outcome = NewestCommitCheck.check(location, on: &device, cipher: nil as XTSAES128?)
        #expect(!device.counter.exceeded, "\(forgery): more than \(Self.checkBudget) blocks read")
        #expect(device.counter.blocksRead <= Self.checkBudget)
        switch outcome {
        case .torn(let previous, let cause):
            #expect(tearing && forgery.keepsASmallS, "\(forgery)")
            #expect(previous.header.generation == newest - 1)
            guard case .hashMismatch(.treeList, let block, _, _) = cause else {
                Issue.record("\(forgery): \(cause)")
                return
            }
            #expect(block == location.header.tree.address.index)
        case .intact:
            #expect(!tearing && forgery.keepsASmallS, "\(forgery)")
        case .large:
            #expect(!forgery.keepsASmallS, "\(forgery)")
        case .notChecked, .unreadable:
            Issue.record("\(forgery): \(outcome)")
        }
    }

    /// The engine (read-only and for writing) and fsck on each forged image, plain and
    /// encrypted: a torn commit with a small S opens the generation before it, clean; any other
    /// forgery opens generation N or fails with a typed error, and fsck reports it; no opener
    /// reads more than the image holds (budget: every block once).
    @Test(arguments: Forgery.allCases, [false, true])
    func everyOpenerEndsWithAClearResult(forgery: Forgery, encrypted: Bool) throws {
        let password = encrypted ? OneFlushCommitTests.password : nil
        for tearing in [false, true] {
            let (bytes, newest) = try Self.forgedImage(forgery, tearing: tearing, encrypted: encrypted)
            let label = "\(forgery), torn \(tearing), encrypted \(encrypted)"

            // The engine, read-only: open, space report (replays the whole log), listing.
            let counted = BudgetedDevice(base: MemoryDevice(bytes: bytes), budget: Self.blocks)
            do {
                let fs = try FileSystem(device: counted, password: password)
                // The open itself: the header ring, the check, the root's node and directory block.
                #expect(counted.counter.blocksRead <= RedoxFS.headerRing + Self.checkBudget + 16, "\(label): \(counted.counter.blocksRead) blocks to open")
                if tearing && forgery.keepsASmallS {
                    #expect(fs.tornNewestCommit?.generation == newest, "\(label)")
                    #expect(fs.header.generation == newest - 1, "\(label)")
                    #expect(try OneFlushCommitTests.listing(fs).keys.sorted() == ["keep"], "\(label)")
                    #expect(try fs.spaceReport().isClean, "\(label)")
                } else {
                    #expect(!tearing, "\(label): a torn commit with a large S opened")
                    #expect(fs.tornNewestCommit == nil && fs.header.generation == newest, "\(label)")
                    #expect(try OneFlushCommitTests.listing(fs).keys.sorted() == ["keep", "new"], "\(label)")
                    // The forged entries are no log the reference replays: a typed error, or a report.
                    _ = try? fs.spaceReport()
                }
                fs.close()
            } catch let error as FileSystemError {
                // Only a torn commit the check may not pass over (its S is not small) is refused.
                #expect(tearing && !forgery.keepsASmallS, "\(label): \(error)")
                if case .damagedGeneration(let generation, _, let intact) = error {
                    #expect(generation == newest && intact == newest - 1, "\(label)")
                } else {
                    Issue.record("\(label): \(error)")
                }
            }
            #expect(!counted.counter.exceeded, "\(label): the engine read more than \(Self.blocks) blocks")

            // The engine, for writing: a change and a commit succeed or fail with a typed error.
            let writable = BudgetedDevice(base: MemoryDevice(bytes: bytes), budget: 2 * Self.blocks)
            let openedForWriting: FileSystem?
            do {
                openedForWriting = try FileSystem(device: writable, password: password, writable: true)
            } catch {
                // Where the read-only open passes (a torn small commit), the writable one must too.
                #expect(!(tearing && forgery.keepsASmallS), "\(label): the writable open failed: \(error)")
                openedForWriting = nil
            }
            if let fs = openedForWriting {
                do {
                    _ = try fs.create(Array("after".utf8), in: RedoxFS.rootNodeID, attributes: OneFlushCommitTests.attributes(), content: [7])
                    try fs.sync()
                    // Only a log the engine could replay lets it commit.
                    #expect(tearing && forgery.keepsASmallS || forgery == .manyFrees || forgery == .manyEntries, "\(label)")
                } catch {
                    #expect(!(tearing && forgery.keepsASmallS), "\(label): \(error)")
                }
                fs.close()
            }
            #expect(!writable.counter.exceeded, "\(label): the writable engine read more than \(2 * Self.blocks) blocks")

            // fsck: the torn small commit is no damage; every other forgery is reported.
            let checked = BudgetedDevice(base: MemoryDevice(bytes: bytes), budget: 2 * Self.blocks)
            let report = try FileSystemChecker.check(device: checked, options: CheckOptions(password: password))
            #expect(!checked.counter.exceeded, "\(label): fsck read more than \(2 * Self.blocks) blocks")
            if tearing && forgery.keepsASmallS {
                #expect(report.tornCommit?.contains("(generation \(newest)) was torn") == true, "\(label)")
                #expect(report.generation == newest - 1, "\(label)")
                #expect(report.exitStatus == FsckExitStatus.clean, "\(label): \(report.problems.prefix(3).map(\.message))")
            } else {
                #expect(report.tornCommit == nil, "\(label)")
                #expect(report.generation == newest, "\(label)")
                #expect(report.exitStatus == FsckExitStatus.uncorrected, "\(label)")
            }
        }
    }
}

/// Rewrites the newest generation's allocation log in an image held in memory: new log blocks
/// with valid hashes (encrypted when the file system is), the header's pointer to them re-sealed.
struct LogForger {
    var bytes: [UInt8]
    var header: Header
    let startBlock: UInt64
    let keys: DataKeys?

    private var cipher: XTSAES128? { keys.map { XTSAES128(dataKey: $0.dataKey, tweakKey: $0.tweakKey) } }

    /// The plaintext of the block `pointer` names.
    func read(_ pointer: BlockPointer) throws -> [UInt8] {
        let start = Int(startBlock + pointer.address.index) * RedoxFS.blockSize
        var block = Array(bytes[start..<start + RedoxFS.blockSize])
        cipher?.decrypt(&block, firstUnit: pointer.address.index, unitSize: RedoxFS.blockSize)
        return block
    }

    /// Stores `plaintext` at file-system block `index`; returns its pointer.
    mutating func write(_ index: UInt64, _ plaintext: [UInt8]) -> BlockPointer {
        var block = plaintext
        cipher?.encrypt(&block, firstUnit: index, unitSize: RedoxFS.blockSize)
        let start = Int(startBlock + index) * RedoxFS.blockSize
        bytes.replaceSubrange(start..<start + RedoxFS.blockSize, with: block)
        return BlockPointer(address: BlockAddress(index: index, level: 0), hash: SeaHash.hash(plaintext))
    }

    /// Zeroes file-system block `index` as stored (no hash is fixed).
    mutating func zero(_ index: UInt64) throws {
        let start = Int(startBlock + index) * RedoxFS.blockSize
        bytes.replaceSubrange(start..<start + RedoxFS.blockSize, with: [UInt8](repeating: 0, count: RedoxFS.blockSize))
    }

    /// Replaces the newest log block with blocks holding `entries` (oldest first, 255 a block;
    /// at least `lists` blocks): the oldest at the newest block's place, linked to its
    /// predecessor, the others from block `at` on; the header names the newest.
    mutating func replaceNewestLog(with entries: [AllocEntry], lists: Int, at: UInt64) throws {
        let lists = max(lists, (entries.count + AllocList.entryCount - 1) / AllocList.entryCount)
        let old = header.alloc
        var previous = AllocList(block: try read(old)).previous
        for list in 0..<lists {
            let chunk = Array(entries[min(entries.count, list * AllocList.entryCount)..<min(entries.count, (list + 1) * AllocList.entryCount)])
            let index = list == 0 ? old.address.index : at + UInt64(list - 1)
            previous = write(index, AllocList(previous: previous, entries: chunk).encode())
        }
        header.alloc = previous
        header.seal(keys: keys)
        let start = Int(startBlock + header.ringSlot) * RedoxFS.blockSize
        bytes.replaceSubrange(start..<start + RedoxFS.blockSize, with: header.bytes)
    }
}

/// A device that counts the blocks read from it and fails every read past `budget` blocks with
/// EIO (so that an opener that kept reading ends, and `exceeded` tells the test). Copies share
/// the count (the engine and the check copy their device).
struct BudgetedDevice: StorageDevice {
    final class Counter: @unchecked Sendable {
        var blocksRead: UInt64 = 0
        var exceeded = false
    }

    var base: MemoryDevice
    let budget: UInt64
    let counter = Counter()

    var blockCount: UInt64 { base.blockCount }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        counter.blocksRead += UInt64(buffer.count / RedoxFS.blockSize)
        if counter.blocksRead > budget {
            counter.exceeded = true
            throw .io(block: index, code: 5)
        }
        try base.readBlocks(at: index, into: buffer)
    }

    mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        try base.writeBlocks(at: index, from: buffer)
    }

    mutating func flush() throws(FormatError) { try base.flush() }
}
