@testable import RedoxFS
@testable import RedoxFSCheck
@testable import RedoxFSEngine
import Testing

/// A one-flush commit right after an overlapped one (`overlapsAutomaticCommits`, the mount's
/// setting): the automatic commit G leaves its header pending; the commit asked for next writes
/// that header between two flushes, then its own blocks and header and one flush. Cut at every
/// event, with all, none and (where the most writes are in flight) every or many subsets of the
/// writes in flight: each image opens without repair at a committed generation no older than the
/// last commit asked for that returned, with its files, clean space and a clean fsck.
@Suite struct PendingHeaderCrashTests {
    typealias Files = [String: [UInt8]]

    @Test(arguments: [false, true])
    func aOneFlushCommitAfterAPendingHeader(encrypted: Bool) throws {
        let password = encrypted ? OneFlushCommitTests.password : nil
        let attributes = OneFlushCommitTests.attributes()
        let device = RecordingDevice(recordingOver: try OneFlushCommitTests.formatted(encrypted: encrypted))
        let fs = try FileSystem(device: device, password: password, writable: true)
        fs.clock = { Timestamp(seconds: 1_700_000_100, nanoseconds: 0) }
        fs.overlapsAutomaticCommits = true
        _ = try fs.create(Array("keep".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [UInt8](repeating: 1, count: 20_000))
        _ = try fs.create(Array("old".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [UInt8](repeating: 2, count: 12_000))
        try fs.sync()
        var states: [UInt64: Files] = [fs.header.generation: try OneFlushCommitTests.listing(fs)]
        // Commits asked for that returned: (events when it returned, its generation).
        var synced: [(events: Int, generation: UInt64)] = [(device.events.count, fs.header.generation)]
        let start = device.events.count
        for round in 0..<3 {
            // Automatic commits (threshold 1 byte) that free blocks: "keep" rewritten in part, then
            // a file deleted; each writes the header the one before left pending, and leaves its own.
            fs.commitThresholdBytes = 1
            let generation = fs.header.generation
            _ = try fs.write(try fs.lookup("/keep"), at: UInt64(round * 4096), [UInt8](repeating: UInt8(10 + round), count: 4096))
            #expect(fs.header.generation == generation + 1 && fs.hasPendingHeader, "round \(round)")
            states[fs.header.generation] = try OneFlushCommitTests.listing(fs)
            try fs.unlink(Array(round == 0 ? "old".utf8 : "new\(round - 1)".utf8), in: RedoxFS.rootNodeID)
            #expect(fs.header.generation == generation + 2 && fs.hasPendingHeader, "round \(round)")
            states[fs.header.generation] = try OneFlushCommitTests.listing(fs)
            // A small change asked for: it may reuse blocks G freed, once G's header is durable.
            fs.commitThresholdBytes = Int.max
            let before = device.events.count
            _ = try fs.create(Array("new\(round)".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [UInt8](repeating: UInt8(20 + round), count: 12_000))
            try fs.sync()
            #expect(!fs.hasPendingHeader)
            #expect(fs.header.generation == generation + 3, "round \(round)")
            states[fs.header.generation] = try OneFlushCommitTests.listing(fs)
            synced.append((device.events.count, fs.header.generation))
            // The pending header between two flushes, then the commit's writes and one flush.
            let events = device.events[before...]
            #expect(OneFlushCommitTests.flushes(events) == 3, "round \(round)")
            guard case .flush = events.first, case .write = events.dropFirst().first, case .flush = events.dropFirst(2).first else {
                Issue.record("round \(round): the pending header is not written between two flushes")
                continue
            }
        }
        let keys = fs.keys
        fs.close()

        var options = CheckOptions(password: password)
        options.dataKeys = keys
        var random = XorShift(seed: 23)
        var seen: Set<UInt64> = []
        var torn = 0
        for cut in start...device.events.count {
            let since = device.events[..<cut].lastIndex { if case .flush = $0 { return true } else { return false } }
            let pending = cut - ((since ?? -1) + 1)
            let widest: Bool
            if cut == device.events.count { widest = true } else if case .flush = device.events[cut] { widest = true } else { widest = false }
            let durable = synced.last { $0.events <= cut }!.generation
            for keep in TornCommitChainTests.subsets(of: pending, widest: widest, random: 24, using: &random) {
                let bytes = device.crashImage(cut: cut) { keep[$0] }
                let image = try FileSystem(device: MemoryDevice(bytes: bytes), password: password)
                let generation = image.header.generation
                let expected = try #require(states[generation], "cut \(cut): generation \(generation) is no committed state")
                #expect(generation >= durable, "cut \(cut): generation \(generation), but \(durable) was synced")
                #expect(try OneFlushCommitTests.listing(image) == expected, "cut \(cut)")
                #expect(try image.spaceReport().isClean, "cut \(cut)")
                let report = try FileSystemChecker.check(device: MemoryDevice(bytes: bytes), options: options)
                #expect(report.exitStatus == FsckExitStatus.clean, "cut \(cut): \(report.problems.prefix(3).map(\.message))")
                #expect(report.generation == generation && (report.tornCommit != nil) == (image.tornNewestCommit != nil), "cut \(cut)")
                if image.tornNewestCommit != nil { torn += 1 }
                seen.insert(generation)
            }
        }
        // Every commit was met, automatic ones and those asked for, and some torn.
        #expect(seen == Set(states.keys))
        #expect(torn > 10)
    }
}
