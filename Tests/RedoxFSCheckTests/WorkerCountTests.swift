import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// The checker's thread counts come from the core count (one per core, at most four); a machine
/// with another count must give the same report. Checked with explicit counts (options of the
/// check, never globals): pass 2's node prefetch workers and pass 3's structure threads, from 1
/// to more than any machine gets, on an image of many chunks of nodes with damaged node blocks
/// spread over them.
@Suite struct WorkerCountTests {
    /// An image of 3,000 files in 30 directories (12 chunks of the prefetcher), nodes of files
    /// far apart damaged (bad hashes) and one with a wrong link count.
    static func damagedImage() throws -> String {
        let path = try CheckFixtures.emptyImage(bytes: 64 << 20, name: "workers")
        let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
        var options = FormatOptions(uuid: Array(0xC0...0xCF), time: time)
        options.bootloader = []
        let fs = try FileSystem.format(device: try FileDevice.open(path: path, readOnly: false), options: options)
        fs.clock = { time }
        for d in 0..<30 {
            let directory = try fs.create(Array("d\(d)".utf8), in: RedoxFS.rootNodeID, mode: 0x4000 | 0o755, uid: 0, gid: 0)
            for f in 0..<100 {
                let file = try fs.create(Array("f\(f)".utf8), in: directory, mode: 0x8000 | 0o644, uid: 0, gid: 0)
                _ = try fs.write(file, at: 0, Array("file \(d)/\(f)\n".utf8))
            }
        }
        try fs.unmount()
        var surgeon = try ImageSurgeon(path: path)
        defer { surgeon.close() }
        for (d, f) in [(0, 3), (4, 50), (9, 99), (15, 0), (22, 77), (29, 98)] {
            let pointer = try surgeon.nodePointer(try surgeon.id(of: "/d\(d)/f\(f)"))
            try surgeon.flipBit(block: pointer.address.index, byte: 300)
        }
        try surgeon.rewriteNode(try surgeon.id(of: "/d12/f12")) { $0.links = 3 }
        return path
    }

    @Test func reportsAreTheSameForAnyThreadCounts() throws {
        let path = try Self.damagedImage()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        var options = CheckOptions()
        options.prefetchWorkers = 1
        options.structureThreads = 1
        options.threadedDirectories = 1
        let reference = try CheckFixtures.check(path, options: options)
        #expect(reference.problems.filter { $0.code == .checksumMismatch }.count >= 6)
        #expect(reference.problems.contains { $0.code == .linkCount })
        #expect(reference.statistics.nodes > 3000)
        for (workers, threads) in [(2, 2), (3, 3), (4, 4), (5, 5), (8, 3), (64, 64), (3, 64), (64, 1)] {
            options.prefetchWorkers = workers
            options.structureThreads = threads
            let report = try CheckFixtures.check(path, options: options)
            let label = "\(workers) prefetch workers, \(threads) structure threads"
            #expect(report.problems == reference.problems, "\(label)")
            #expect(report.problemCounts == reference.problemCounts, "\(label)")
            #expect(report.exitStatus == reference.exitStatus, "\(label)")
            #expect(report.statistics.nodes == reference.statistics.nodes, "\(label)")
            #expect(report.statistics.blocksRead == reference.statistics.blocksRead, "\(label)")
        }
    }
}
