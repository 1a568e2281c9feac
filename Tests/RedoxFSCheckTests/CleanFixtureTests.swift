import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// Every upstream fixture checks clean: exit status 0, and only the warnings the reference
/// itself produces (spec §15.1 "W"), each one expected.
@Suite struct CleanFixtureTests {
    /// The warnings each fixture shows; every other fixture shows none.
    static let expectedWarnings: [String: [ProblemCode]] = [
        "mkfs-empty-encrypted": [.headerSlotZeroInvalid],
        "ar-encrypted-lib": [.headerSlotZeroInvalid],
        "fuse-modified": [.staleRecord, .blockLeaked],
    ]

    @Test(arguments: CheckFixtures.images.map(\.name))
    func fixtureIsClean(name: String) throws {
        let report = try CheckFixtures.check(
            CheckFixtures.image(name), password: CheckFixtures.isEncrypted(name) ? CheckFixtures.password : nil)
        #expect(report.exitStatus == 0)
        #expect(report.errors == 0, "\(report.problems.map(\.message))")
        #expect(report.problems.map(\.code) == Self.expectedWarnings[name, default: []], "\(report.problems.map(\.message))")
        #expect(report.passes.map(\.pass) == [.headers, .tree, .directories, .linkCounts, .space])
        #expect(report.statistics.nodes > 0)
    }

    /// fuse-modified: the one leaked block of the truncate quirk (§9.6) and the stale record that
    /// `size-131073.bin` keeps after its cut to 100 bytes.
    @Test func fuseModifiedWarningsNameTheQuirk() throws {
        let report = try CheckFixtures.check(CheckFixtures.image("fuse-modified"))
        let leak = try #require(report.problems.first { $0.code == .blockLeaked })
        #expect(leak.block == 4885 && leak.blockCount == 1)
        let stale = try #require(report.problems.first { $0.code == .staleRecord })
        #expect(stale.path == "/size-131073.bin")
        #expect(report.statistics.leakedBlocks == 1)
    }

    /// Statistics agree with the manifest: nodes, directories, files, symlinks.
    @Test(arguments: ["ar", "clone", "ar-htree2", "htree2-fuse-modified"])
    func statisticsMatchTheManifest(name: String) throws {
        let report = try CheckFixtures.check(CheckFixtures.image(name))
        let lines = try CheckFixtures.manifest(name).split(separator: "\n").filter { !$0.hasPrefix("#") }
        let types = lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false)[1] }
        #expect(report.statistics.nodes == UInt64(lines.count))
        #expect(report.statistics.directories == UInt64(types.filter { $0 == "d" }.count))
        #expect(report.statistics.files == UInt64(types.filter { $0 == "f" }.count))
        #expect(report.statistics.symlinks == UInt64(types.filter { $0 == "l" }.count))
        #expect(report.statistics.entries == UInt64(lines.count - 1))
    }

    /// The check reads every reachable block once but data records (which only `--scrub` reads,
    /// then with every block of the file system once more) and the numbers add up: reachable +
    /// header ring + block 256 + free = all blocks.
    @Test func spaceAddsUp() throws {
        let report = try CheckFixtures.check(CheckFixtures.image("ar"))
        let s = report.statistics
        #expect(s.reachableBlocks + 257 + s.freeBlocks == s.blocks)
        #expect(s.recordBlocks > 0)
        #expect(s.blocksRead + s.recordBlocks == s.reachableBlocks)
        let scrubbed = try CheckFixtures.check(CheckFixtures.image("ar"), scrub: true).statistics
        #expect(scrubbed.recordBlocks == s.recordBlocks)
        #expect(scrubbed.blocksRead == s.reachableBlocks + s.blocks)
    }
}
