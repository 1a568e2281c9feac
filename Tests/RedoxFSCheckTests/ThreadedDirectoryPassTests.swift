import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// Pass 3 checks the directories' structure on several threads: the report is the same, problem
/// for problem and in the same order, as on one thread.
@Suite(.serialized) struct ThreadedDirectoryPassTests {
    /// Replaces the first `name` in `block` with `replacement` (same length).
    private static func rename(_ name: String, to replacement: String, in block: inout [UInt8]) throws {
        let old = Array(name.utf8), new = Array(replacement.utf8)
        let start = try #require((0...(block.count - old.count)).first { Array(block[$0..<$0 + old.count]) == old })
        block.replaceSubrange(start..<start + old.count, with: new)
    }

    @Test func damagedDirectoriesAreReportedAsOnOneThread() throws {
        let (path, _) = try GeneratedImage.copy()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        var surgeon = try ImageSurgeon(path: path)
        let docs = try surgeon.id(of: "/docs"), deeper = try surgeon.id(of: "/sub/deeper"), root = RedoxFS.rootNodeID
        // A name with a slash, a repeated name, a name whose hash no longer finds it.
        try surgeon.rewriteBlock(ofNode: docs, slot: 1) { try Self.rename("readme.txt", to: "read/e.txt", in: &$0) }
        try surgeon.rewriteBlock(ofNode: deeper, slot: 1) { try Self.rename("file-39", to: "file-38", in: &$0) }
        try surgeon.rewriteBlock(ofNode: root, slot: 1) { try Self.rename("random.bin", to: "random.bim", in: &$0) }
        surgeon.close()

        // The settings live in the options, not in globals: other suites' checks running meanwhile
        // keep their own (a global lowered here once made a parallel check crash).
        var options = CheckOptions()
        options.threadedDirectories = 1
        options.structureThreads = 1
        let one = try CheckFixtures.check(path, options: options)
        #expect(one.problems.contains { $0.code == .nameInvalid })
        #expect(one.problems.contains { $0.code == .duplicateName })
        for count in [2, 3, 4, 5, 7, 16] {
            options.structureThreads = count
            let several = try CheckFixtures.check(path, options: options)
            #expect(several.problems == one.problems, "\(count) threads")
            #expect(several.problemCounts == one.problemCounts)
            #expect(several.exitStatus == one.exitStatus)
        }
    }

    /// The share-out covers every directory once, in order, with no empty or inverted range, for
    /// any count of directories and threads (4 threads and 5 directories once made `6..<5`).
    @Test func sharesCoverEveryItemOnceForAnyCounts() {
        for count in 0...70 {
            for threads in 1...9 {
                let shares = DirectoryPass.shares(of: count, among: threads)
                #expect(shares.count == min(threads, count), "\(count) among \(threads)")
                #expect(shares.flatMap { Array($0) } == Array(0..<count), "\(count) among \(threads)")
                #expect(shares.allSatisfy { !$0.isEmpty })
                if let largest = shares.map(\.count).max(), let smallest = shares.map(\.count).min() {
                    #expect(largest - smallest <= 1)
                }
            }
        }
    }
}
