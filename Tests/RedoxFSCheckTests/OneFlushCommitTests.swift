@testable import RedoxFS
@testable import RedoxFSCheck
@testable import RedoxFSEngine
import Testing

/// Commits written with one flush (blocks and header, then one flush) and the open-time check of
/// the newest generation (`NewestCommitCheck`): a power cut that leaves the header of a small
/// commit with some of its blocks missing opens the generation before it, with no repair, and
/// fsck calls it clean; a large commit keeps its flush between blocks and header.
@Suite struct OneFlushCommitTests {
    static let password = Array("pw".utf8)

    static func formatted(encrypted: Bool, blocks: UInt64 = 2048) throws -> MemoryDevice {
        let base = MemoryDevice(blockCount: blocks)
        var options = FormatOptions(uuid: [UInt8](repeating: 5, count: 16), time: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
        if encrypted {
            options.password = password
            options.keyMaterial = ([UInt8](repeating: 1, count: 16), [UInt8](repeating: 2, count: 16), [UInt8](repeating: 3, count: 16))
        }
        _ = try FileSystem.format(device: base, options: options)
        return MemoryDevice(bytes: base.bytes)
    }

    static func attributes() -> NodeAttributes {
        let time = Timestamp(seconds: 1_700_000_050, nanoseconds: 0)
        return NodeAttributes(mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0, changeTime: time, modificationTime: time, accessTime: time)
    }

    /// The root directory's files with their content.
    static func listing(_ fs: FileSystem) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for entry in try fs.entries(of: RedoxFS.rootNodeID) {
            let node = try fs.node(entry.nodeID)
            files[String(decoding: entry.name, as: UTF8.self)] = try fs.read(entry.nodeID, at: 0, count: Int(node.size))
        }
        return files
    }

    /// Flushes among `events`.
    static func flushes(_ events: ArraySlice<RecordingDevice.Event>) -> Int {
        events.filter { if case .flush = $0 { return true } else { return false } }.count
    }

    /// Subsets of `count` writes to try: all of them when few, else every single one left out,
    /// none, and random ones.
    static func subsets(of count: Int, random: inout XorShift) -> [[Bool]] {
        if count <= 10 {
            return (0..<(1 << count)).map { mask in (0..<count).map { mask >> $0 & 1 == 1 } }
        }
        var result = [[Bool](repeating: false, count: count), [Bool](repeating: true, count: count)]
        for left in 0..<count { result.append((0..<count).map { $0 != left }) }
        for _ in 0..<200 { result.append((0..<count).map { _ in Bool.random(using: &random) }) }
        return result
    }

    /// Small commits (a create, a rewrite, a delete) each written with one flush: at every power
    /// cut, with every subset of the writes in flight (or many), the image opens without repair
    /// at the commit or the one before it, holds that commit's files, and fsck finds it clean; a
    /// torn one names the generation it uses instead.
    @Test(arguments: [false, true])
    func everySubsetOfASmallCommitOpensAtItOrTheOneBefore(encrypted: Bool) throws {
        let password = encrypted ? Self.password : nil
        let device = RecordingDevice(recordingOver: try Self.formatted(encrypted: encrypted))
        let fs = try FileSystem(device: device, password: password, writable: true)
        fs.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        _ = try fs.create(Array("keep".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [UInt8](repeating: 1, count: 9000))
        try fs.sync()  // the session's first commit flushes first
        var states: [UInt64: [String: [UInt8]]] = [fs.header.generation: try Self.listing(fs)]
        var commitStarts: [Int] = []
        for step in 0..<3 {
            commitStarts.append(device.events.count)
            switch step {
            case 0: _ = try fs.create(Array("new".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [UInt8](repeating: 2, count: 5000))
            case 1: _ = try fs.write(try fs.lookup("/keep"), at: 100, [UInt8](repeating: 3, count: 300))
            default: try fs.unlink(Array("new".utf8), in: RedoxFS.rootNodeID)
            }
            try fs.sync()
            states[fs.header.generation] = try Self.listing(fs)
            // One flush: the last event, after the blocks and the header.
            #expect(Self.flushes(device.events[commitStarts[step]...]) == 1, "step \(step)")
        }
        // The unmount squashes the allocation log: a squash keeps the flush before its header.
        let unmountStart = device.events.count
        try fs.unmount()
        #expect(Self.flushes(device.events[unmountStart...]) == 2)

        var random = XorShift(seed: 7)
        var torn = 0, whole = 0
        for start in commitStarts {
            // The commit's writes after the durable state before it (the flush ending the last commit).
            var end = start
            while end < device.events.count, case .write = device.events[end] { end += 1 }
            let writes = end - start
            #expect(writes >= 2)
            for keep in Self.subsets(of: writes, random: &random) {
                let bytes = device.crashImage(cut: end) { keep[$0] }
                let image = try FileSystem(device: MemoryDevice(bytes: bytes), password: password)
                let generation = image.header.generation
                let expected = try #require(states[generation], "generation \(generation) is no committed state")
                #expect(try Self.listing(image) == expected)
                #expect(try image.spaceReport().isClean)
                let report = try FileSystemChecker.check(device: MemoryDevice(bytes: bytes), options: CheckOptions(password: password))
                #expect(report.exitStatus == FsckExitStatus.clean, "\(report.problems.map(\.message))")
                #expect(report.generation == generation)
                if image.tornNewestCommit != nil {
                    #expect(report.tornCommit != nil)
                    torn += 1
                } else {
                    #expect(report.tornCommit == nil)
                    whole += 1
                }
            }
        }
        #expect(torn > 20 && whole > 3)
    }

    /// A torn image opened for writing commits after the torn generation, with two flushes, and
    /// reopens clean with the generation before the torn one plus the new change.
    @Test func aTornImageCommitsAfterTheTornGeneration() throws {
        let device = RecordingDevice(recordingOver: try Self.formatted(encrypted: false))
        let fs = try FileSystem(device: device, writable: true)
        _ = try fs.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [1, 2, 3])
        try fs.sync()
        let start = device.events.count
        _ = try fs.create(Array("b".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [4, 5])
        try fs.sync()
        let torn = fs.header.generation
        fs.close()
        // The header (the commit's last write) landed, its first block did not.
        var end = start
        while case .write = device.events[end] { end += 1 }
        let bytes = device.crashImage(cut: end) { $0 != 0 }
        let recording = RecordingDevice(recordingOver: MemoryDevice(bytes: bytes))
        let reopened = try FileSystem(device: recording, writable: true)
        #expect(reopened.tornNewestCommit?.generation == torn)
        #expect(reopened.header.generation == torn - 1)
        #expect(try Self.listing(reopened).keys.sorted() == ["a"])
        _ = try reopened.create(Array("c".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [6])
        try reopened.sync()
        #expect(reopened.header.generation == torn + 1)
        // The first commit of the session flushes first, then blocks, a flush, header, a flush.
        #expect(Self.flushes(recording.events[...]) == 3)
        reopened.close()
        let after = try FileSystem(device: MemoryDevice(bytes: recording.memory.bytes))
        #expect(after.tornNewestCommit == nil)
        #expect(try Self.listing(after).keys.sorted() == ["a", "c"])
        #expect(try after.spaceReport().isClean)
        #expect(try FileSystemChecker.check(device: MemoryDevice(bytes: recording.memory.bytes)).exitStatus == FsckExitStatus.clean)
    }

    /// A commit of more than `smallCommitBlocks` blocks keeps the flush between its blocks and
    /// its header; a torn one (header landed, a block not) is damage fsck reports, not passed over.
    @Test func aLargeCommitKeepsTwoFlushes() throws {
        let device = RecordingDevice(recordingOver: try Self.formatted(encrypted: false, blocks: 4096))
        let fs = try FileSystem(device: device, writable: true)
        _ = try fs.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [1])
        try fs.sync()
        let start = device.events.count
        let big = RecoveryTests.incompressible(1_200_000, seed: 9)
        _ = try fs.create(Array("big".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: big)
        try fs.sync()
        #expect(Self.flushes(device.events[start...]) == 2)
        fs.close()
        // Header landed, its root tree list did not (zeroed): the two-flush order cannot leave
        // this, so fsck must call it damage, as before one-flush commits.
        var bytes = device.memory.bytes
        let root = try FileSystem(device: MemoryDevice(bytes: bytes)).header.tree.address.index
        bytes.replaceSubrange(Int(root) * RedoxFS.blockSize..<Int(root + 1) * RedoxFS.blockSize, with: [UInt8](repeating: 0, count: RedoxFS.blockSize))
        let report = try FileSystemChecker.check(device: MemoryDevice(bytes: bytes))
        #expect(report.tornCommit == nil)
        #expect(report.exitStatus == FsckExitStatus.uncorrected)
    }
}

extension OneFlushCommitTests {
    /// A password change keeps the flush between its blocks and its header: torn with one flush,
    /// it would leave a header whose slots unlock while the generation in use (the one before)
    /// is sealed with the old slots.
    @Test func aKeySlotChangeKeepsTwoFlushes() throws {
        let device = RecordingDevice(recordingOver: try Self.formatted(encrypted: true))
        let fs = try FileSystem(device: device, password: Self.password, writable: true)
        _ = try fs.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [1])
        try fs.sync()
        let slot = try #require(fs.keySlot(opening: Self.password))
        let start = device.events.count
        try fs.changePassword(inSlot: slot, to: Array("new".utf8))
        try fs.sync()
        // The commit's two, then the one after the rewrite of the other 255 ring slots (one
        // flush for the commit would make three two).
        #expect(Self.flushes(device.events[start...]) == 3)
        // An ordinary small commit after it goes out with one flush again.
        let next = device.events.count
        _ = try fs.create(Array("b".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [2])
        try fs.sync()
        #expect(Self.flushes(device.events[next...]) == 1)
        fs.close()
    }

    /// A device error while the check reads the newest commit's blocks says nothing about the
    /// commit: the open fails with that error instead of giving the commit up as torn.
    @Test func aReadErrorDuringTheCheckRefusesTheOpen() throws {
        let device = RecordingDevice(recordingOver: try Self.formatted(encrypted: false))
        let fs = try FileSystem(device: device, writable: true)
        _ = try fs.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [1])
        try fs.sync()
        _ = try fs.create(Array("b".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [2])
        try fs.sync()
        let generation = fs.header.generation
        let root = fs.startBlock + fs.header.tree.address.index
        fs.close()
        let bytes = device.memory.bytes
        let intact = try FileSystem(device: MemoryDevice(bytes: bytes))
        #expect(intact.header.generation == generation)
        #expect(intact.tornNewestCommit == nil)
        #expect(throws: FileSystemError.format(.io(block: root, code: 5))) {
            _ = try FileSystem(device: ReadFailingDevice(base: MemoryDevice(bytes: bytes), failing: root))
        }
    }
}

/// A memory device whose reads of one block fail with EIO.
struct ReadFailingDevice: StorageDevice {
    var base: MemoryDevice
    let failing: UInt64

    var blockCount: UInt64 { base.blockCount }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let count = UInt64(buffer.count / RedoxFS.blockSize)
        if index <= failing, failing < index + count { throw .io(block: failing, code: 5) }
        try base.readBlocks(at: index, into: buffer)
    }

    mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        try base.writeBlocks(at: index, from: buffer)
    }

    mutating func flush() throws(FormatError) { try base.flush() }
}

/// A seeded generator for reproducible subsets.
struct XorShift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
