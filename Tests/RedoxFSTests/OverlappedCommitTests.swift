@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSStress
import Testing

/// Overlapped commits (`overlapsCommits`, used by redoxfs-ar): a commit's header goes out at the
/// start of the next commit, and a power cut at any point still leaves a clean image holding
/// the state of some commit.
@Suite struct OverlappedCommitTests {
    static let options = FormatOptions(uuid: [UInt8](repeating: 9, count: 16), time: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))

    /// A formatted image on a recording device, opened for writing.
    static func recordingFileSystem(blocks: UInt64 = 2048) throws -> (FileSystem, RecordingDevice) {
        let base = MemoryDevice(blockCount: blocks)
        _ = try FileSystem.format(device: base, options: options)
        let device = RecordingDevice(recordingOver: MemoryDevice(bytes: base.bytes))
        let fs = try FileSystem(device: device, writable: true)
        fs.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        return (fs, device)
    }

    static func generationOnDevice(_ device: RecordingDevice) throws -> UInt64 {
        try FileSystem(device: MemoryDevice(bytes: device.memory.bytes)).header.generation
    }

    static func attributes(_ mode: UInt16) -> NodeAttributes {
        let time = Timestamp(seconds: 1_700_000_050, nanoseconds: 0)
        return NodeAttributes(mode: mode, uid: 0, gid: 0, changeTime: time, modificationTime: time, accessTime: time)
    }

    @Test func aCommitIsDurableOnceTheNextStartsOrItsHeaderIsWritten() throws {
        let (fs, device) = try Self.recordingFileSystem()
        fs.overlapsCommits = true
        let before = try Self.generationOnDevice(device)
        _ = try fs.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(NodeKind.file.rawValue | 0o644), content: [1, 2, 3])
        try fs.commit()
        #expect(fs.hasPendingHeader)
        #expect(try Self.generationOnDevice(device) == before)
        _ = try fs.create(Array("b".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(NodeKind.file.rawValue | 0o644), content: [4])
        try fs.commit()
        // The first commit's header went out when the second began.
        #expect(try Self.generationOnDevice(device) == before + 1)
        try fs.writePendingHeader()
        #expect(!fs.hasPendingHeader)
        #expect(try Self.generationOnDevice(device) == fs.header.generation)

        // sync() makes its commit durable at once.
        _ = try fs.create(Array("c".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(NodeKind.file.rawValue | 0o644), content: [])
        try fs.sync()
        #expect(try Self.generationOnDevice(device) == fs.header.generation)
        try fs.unmount()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.memory.bytes))
        #expect(try reopened.entries(of: RedoxFS.rootNodeID).map { String(decoding: $0.name, as: UTF8.self) }.sorted() == ["a", "b", "c"])
    }

    @Test func unmountWritesThePendingHeader() throws {
        let (fs, device) = try Self.recordingFileSystem()
        fs.overlapsCommits = true
        _ = try fs.create(Array("x".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(NodeKind.file.rawValue | 0o600), content: [UInt8](repeating: 7, count: 10_000))
        try fs.commit()
        let generation = fs.header.generation
        try fs.unmount()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.memory.bytes))
        #expect(reopened.header.generation >= generation)
        let id = try #require(try reopened.find(Array("x".utf8), in: RedoxFS.rootNodeID))
        #expect(try reopened.read(id, at: 0, count: 10_000) == [UInt8](repeating: 7, count: 10_000))
        #expect(try reopened.spaceReport().isClean)
    }

    /// `overlapsAutomaticCommits` (the mount's setting): the engine's own commits leave their
    /// header to the next commit; a commit asked for is durable when it returns, with the header
    /// left pending before it, also when it has nothing new to commit.
    @Test func automaticCommitsOverlapWhileCommitsAskedForAreDurable() throws {
        let (fs, device) = try Self.recordingFileSystem()
        fs.overlapsAutomaticCommits = true
        fs.commitThresholdBytes = 1
        let file = Self.attributes(NodeKind.file.rawValue | 0o644)
        let before = try Self.generationOnDevice(device)
        _ = try fs.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: file, content: [1, 2, 3])
        // The create committed on its own (the threshold) and left its header.
        #expect(fs.header.generation == before + 1)
        #expect(fs.hasPendingHeader)
        #expect(try Self.generationOnDevice(device) == before)
        // Nothing new to commit: the commit asked for writes the pending header.
        try fs.commit()
        #expect(!fs.hasPendingHeader)
        #expect(try Self.generationOnDevice(device) == fs.header.generation)

        _ = try fs.create(Array("b".utf8), in: RedoxFS.rootNodeID, attributes: file, content: [4])
        _ = try fs.create(Array("c".utf8), in: RedoxFS.rootNodeID, attributes: file, content: [5])
        // The second automatic commit wrote the first one's header before its own blocks.
        #expect(fs.hasPendingHeader)
        #expect(try Self.generationOnDevice(device) == fs.header.generation - 1)
        fs.commitThresholdBytes = Int.max
        _ = try fs.create(Array("d".utf8), in: RedoxFS.rootNodeID, attributes: file, content: [6])
        #expect(fs.hasPendingHeader)
        // A commit asked for, with changes: the pending header, then its own, both durable.
        try fs.commit()
        #expect(!fs.hasPendingHeader)
        #expect(try Self.generationOnDevice(device) == fs.header.generation)

        // Without the setting, automatic commits are durable at once again.
        fs.overlapsAutomaticCommits = false
        fs.commitThresholdBytes = 1
        _ = try fs.create(Array("e".utf8), in: RedoxFS.rootNodeID, attributes: file, content: [7])
        #expect(!fs.hasPendingHeader)
        #expect(try Self.generationOnDevice(device) == fs.header.generation)
        try fs.unmount()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.memory.bytes))
        #expect(try reopened.entries(of: RedoxFS.rootNodeID).map { String(decoding: $0.name, as: UTF8.self) }.sorted() == ["a", "b", "c", "d", "e"])
        #expect(try reopened.spaceReport().isClean)
    }

    /// Creates, rewrites and deletes (so that later commits reuse blocks earlier ones freed),
    /// committing after every operation; then every power-cut point, with all, none and random
    /// subsets of the writes in flight, must open clean and hold the tree of some commit.
    /// `automatic`: only the engine's own commits overlap (`overlapsAutomaticCommits`), and every
    /// seventh step asks for a commit, which must be on the device when it returns.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func everyCutPointHoldsACommittedState(encrypted: Bool, automatic: Bool) throws {
        let base = MemoryDevice(blockCount: 1536)
        var options = Self.options
        if encrypted {
            options.password = Array("pw".utf8)
            options.keyMaterial = ([UInt8](repeating: 1, count: 16), [UInt8](repeating: 2, count: 16), [UInt8](repeating: 3, count: 16))
        }
        _ = try FileSystem.format(device: base, options: options)
        let device = RecordingDevice(recordingOver: MemoryDevice(bytes: base.bytes))
        let fs = try FileSystem(device: device, password: options.password, writable: true)
        fs.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        if automatic { fs.overlapsAutomaticCommits = true } else { fs.overlapsCommits = true }
        fs.commitThresholdBytes = 1
        var committed: Set<[String]> = [try RedoxFSStress.TreeListing.of(fs)]
        var random = SeededGenerator(seed: 42)
        var names: [String] = []
        for step in 0..<40 {
            let generation = fs.header.generation
            if step % 5 == 4, let victim = names.randomElement(using: &random) {
                try fs.unlink(Array(victim.utf8), in: RedoxFS.rootNodeID)
                names.removeAll { $0 == victim }
            } else {
                let name = "f\(step)"
                let size = [0, 100, 5000, 70_000, 200_000][step % 5]
                let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* (step + 1) / 3) }
                _ = try fs.create(Array(name.utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(NodeKind.file.rawValue | 0o644), content: content)
                names.append(name)
            }
            if fs.header.generation != generation { committed.insert(try RedoxFSStress.TreeListing.of(fs)) }
            if automatic && step % 7 == 6 {
                try fs.commit()
                #expect(try FileSystem(device: MemoryDevice(bytes: device.memory.bytes), password: options.password).header.generation
                    == fs.header.generation)
            }
        }
        try fs.unmount()
        committed.insert(try RedoxFSStress.TreeListing.of(try FileSystem(device: MemoryDevice(bytes: device.memory.bytes), password: options.password)))

        var checked = 0
        try device.forEachCutPoint { cut, durable, pending in
            var variants: [[Bool]] = [[Bool](repeating: true, count: pending.count)]
            if !pending.isEmpty {
                variants.append([Bool](repeating: false, count: pending.count))
                for _ in 0..<2 { variants.append(pending.map { _ in Bool.random(using: &random) }) }
            }
            for keep in variants {
                var bytes = durable
                for (position, write) in pending.enumerated() where keep[position] { RecordingDevice.apply(write, to: &bytes) }
                let image = try FileSystem(device: MemoryDevice(bytes: bytes), password: options.password)
                #expect(try image.spaceReport().isClean, "cut \(cut)")
                #expect(committed.contains(try RedoxFSStress.TreeListing.of(image)), "cut \(cut)")
                checked += 1
            }
        }
        #expect(checked > 100)
    }
}
