@testable import RedoxFS
@testable import RedoxFSCheck
@testable import RedoxFSEngine
import Testing

/// Torn commits one after another: commit N torn, the opener uses N−1; a session on it writes
/// N+1, cut at every point; N+2 built on N+1 with one flush, torn too; and a session on that.
/// Nothing of N−1 is lost, fsck names the torn commit each time, and the writer's base rule
/// holds: the first commit on a fallback generation (whose ring predecessor is the torn header,
/// not its base) keeps two flushes, the next one, on a durable N+1 in its own slot, has one.
@Suite struct TornCommitChainTests {
    typealias Files = [String: [UInt8]]

    /// Subsets of `count` writes in flight to try at a cut point: all and none; where the most
    /// writes are in flight (before a flush, or at the end), also every subset of up to 8 writes,
    /// else each single one left out, each single one kept, and `random` random ones.
    static func subsets(of count: Int, widest: Bool, random: Int, using generator: inout XorShift) -> [[Bool]] {
        var result = [[Bool](repeating: true, count: count)]
        guard count > 0 else { return result }
        result.append([Bool](repeating: false, count: count))
        guard widest else { return result }
        if count <= 8 { return (0..<(1 << count)).map { mask in (0..<count).map { mask >> $0 & 1 == 1 } } }
        for one in 0..<count {
            result.append((0..<count).map { $0 != one })
            result.append((0..<count).map { $0 == one })
        }
        for _ in 0..<random { result.append((0..<count).map { _ in Bool.random(using: &generator) }) }
        return result
    }

    /// Each image that a power cut at events `range` of `device` can leave (every cut point, with
    /// the subsets of the writes in flight of `subsets`): opens without repair at a generation of
    /// `states` with its files, clean space and a clean fsck that names the torn commit when there
    /// is one. Returns the generations seen (torn ones counted as the generation used).
    static func checkEveryCut(
        of device: RecordingDevice, events range: Range<Int>, states: [UInt64: Files], tornBelow: UInt64?,
        password: [UInt8]?, keys: DataKeys?, random: inout XorShift
    ) throws -> Set<UInt64> {
        var seen: Set<UInt64> = []
        var options = CheckOptions(password: password)
        options.dataKeys = keys
        for cut in range.lowerBound...range.upperBound {
            let since = device.events[..<cut].lastIndex { if case .flush = $0 { return true } else { return false } }
            let pending = cut - ((since ?? -1) + 1)
            let widest: Bool
            if cut == range.upperBound || cut == device.events.count { widest = true } else if case .flush = device.events[cut] { widest = true } else { widest = false }
            for keep in Self.subsets(of: pending, widest: widest, random: 24, using: &random) {
                let bytes = device.crashImage(cut: cut) { keep[$0] }
                let image = try FileSystem(device: MemoryDevice(bytes: bytes), password: password)
                let generation = image.header.generation
                let expected = try #require(states[generation], "cut \(cut): generation \(generation) is no committed state")
                #expect(try OneFlushCommitTests.listing(image) == expected, "cut \(cut)")
                #expect(try image.spaceReport().isClean, "cut \(cut)")
                // The torn header found is the newest: the one above the generation in use.
                if let torn = image.tornNewestCommit {
                    #expect(torn.usedGeneration == generation && torn.generation > generation, "cut \(cut)")
                } else if let tornBelow {
                    #expect(generation > tornBelow, "cut \(cut): generation \(generation) opened with no torn commit above it")
                }
                let report = try FileSystemChecker.check(device: MemoryDevice(bytes: bytes), options: options)
                #expect(report.exitStatus == FsckExitStatus.clean, "cut \(cut): \(report.problems.prefix(3).map(\.message))")
                #expect(report.generation == generation, "cut \(cut)")
                #expect((report.tornCommit != nil) == (image.tornNewestCommit != nil), "cut \(cut)")
                if let torn = image.tornNewestCommit {
                    #expect(report.tornCommit?.contains("(generation \(torn.generation)) was torn") == true, "cut \(cut)")
                }
                seen.insert(generation)
            }
        }
        return seen
    }

    /// Events after `start` up to and including the last flush.
    static func flushes(_ device: RecordingDevice, from start: Int) -> Int {
        OneFlushCommitTests.flushes(device.events[start...])
    }

    @Test(arguments: [false, true])
    func tornCommitsOneAfterAnother(encrypted: Bool) throws {
        let password = encrypted ? OneFlushCommitTests.password : nil
        let attributes = OneFlushCommitTests.attributes()
        let first = RecordingDevice(recordingOver: try OneFlushCommitTests.formatted(encrypted: encrypted))
        let fs = try FileSystem(device: first, password: password, writable: true)
        fs.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        _ = try fs.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [UInt8](repeating: 1, count: 9000))
        try fs.sync()
        _ = try fs.create(Array("b".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [UInt8](repeating: 2, count: 300))
        try fs.sync()
        let base = fs.header.generation  // N−1
        let states: [UInt64: Files] = [base: try OneFlushCommitTests.listing(fs)]
        let start = first.events.count
        // Commit N: a rewrite of "a" and a new file, with one flush.
        _ = try fs.write(try fs.lookup("/a"), at: 10, [UInt8](repeating: 3, count: 100))
        _ = try fs.create(Array("c".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [UInt8](repeating: 4, count: 5000))
        try fs.sync()
        let torn = fs.header.generation  // N
        #expect(torn == base + 1 && Self.flushes(first, from: start) == 1)
        fs.close()

        // N torn three ways: its first block, its last block before the header, all but the header.
        var end = start
        while case .write = first.events[end] { end += 1 }
        let writes = end - start
        let tornImages: [[UInt8]] = [
            first.crashImage(cut: end) { $0 != 0 }, first.crashImage(cut: end) { $0 != writes - 2 },
            first.crashImage(cut: end) { $0 == writes - 1 },
        ]
        var random = XorShift(seed: 11)
        for (variant, tornImage) in tornImages.enumerated() {
            // The opener uses N−1; fsck says so and finds it clean.
            let report = try FileSystemChecker.check(device: MemoryDevice(bytes: tornImage), options: CheckOptions(password: password))
            #expect(report.exitStatus == FsckExitStatus.clean && report.generation == base, "variant \(variant)")
            #expect(report.tornCommit?.contains("(generation \(torn)) was torn") == true, "variant \(variant)")

            // A session on N−1 writes N+1 after the torn generation, with two flushes (its base is
            // not the ring's generation below it, the torn N is), after a first flush.
            let second = RecordingDevice(recordingOver: MemoryDevice(bytes: tornImage))
            let session = try FileSystem(device: second, password: password, writable: true)
            session.clock = { Timestamp(seconds: 1_700_000_200, nanoseconds: 0) }
            #expect(session.tornNewestCommit?.generation == torn && session.header.generation == base)
            #expect(try OneFlushCommitTests.listing(session) == states[base])
            _ = try session.create(Array("d".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [UInt8](repeating: 5, count: 7000))
            try session.sync()
            #expect(session.header.generation == torn + 1)
            #expect(Self.flushes(second, from: 0) == 3, "variant \(variant): N+1 must keep two flushes")
            var chain = states
            chain[torn + 1] = try OneFlushCommitTests.listing(session)
            // Every cut of N+1: N−1 (N found torn again) or N+1, never N+1 damaged.
            let afterFirst = second.events.count
            let seenFirst = try Self.checkEveryCut(
                of: second, events: 0..<afterFirst, states: chain, tornBelow: nil, password: password, keys: session.keys,
                random: &random)
            #expect(seenFirst == [base, torn + 1], "variant \(variant)")

            // N+2 on N+1 (durable, in its own slot): one flush; torn, the opener uses N+1.
            _ = try session.write(try session.lookup("/d"), at: 0, [UInt8](repeating: 6, count: 50))
            try session.unlink(Array("b".utf8), in: RedoxFS.rootNodeID)
            try session.sync()
            #expect(session.header.generation == torn + 2)
            #expect(Self.flushes(second, from: afterFirst) == 1, "variant \(variant): N+2 has one flush")
            chain[torn + 2] = try OneFlushCommitTests.listing(session)
            let afterSecond = second.events.count
            session.close()
            let seenSecond = try Self.checkEveryCut(
                of: second, events: afterFirst..<afterSecond, states: chain, tornBelow: torn, password: password,
                keys: session.keys, random: &random)
            #expect(seenSecond == [torn + 1, torn + 2], "variant \(variant)")

            // A session on N+2 torn (header only): N+3 after it with two flushes again, reopened clean.
            let tornAgain = second.crashImage(cut: afterSecond - 1) { $0 == afterSecond - afterFirst - 2 }
            let third = RecordingDevice(recordingOver: MemoryDevice(bytes: tornAgain))
            let last = try FileSystem(device: third, password: password, writable: true)
            #expect(last.tornNewestCommit?.generation == torn + 2 && last.header.generation == torn + 1)
            _ = try last.create(Array("e".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [7])
            try last.sync()
            #expect(last.header.generation == torn + 3 && Self.flushes(third, from: 0) == 3)
            let expected = try OneFlushCommitTests.listing(last)
            last.close()
            let reopened = try FileSystem(device: MemoryDevice(bytes: third.memory.bytes), password: password)
            #expect(reopened.tornNewestCommit == nil && reopened.header.generation == torn + 3)
            #expect(try OneFlushCommitTests.listing(reopened) == expected)
            #expect(expected["a"] == states[base]?["a"] && expected["b"] == states[base]?["b"] && expected["c"] == nil)
            let final = try FileSystemChecker.check(device: MemoryDevice(bytes: third.memory.bytes), options: CheckOptions(password: password))
            #expect(final.exitStatus == FsckExitStatus.clean && final.tornCommit == nil)
        }
    }
}
