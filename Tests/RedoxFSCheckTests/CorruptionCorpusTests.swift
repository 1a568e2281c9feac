import Foundation
import RedoxFS
import RedoxFSTestSupport
@testable import RedoxFSCheck
import Testing

/// The corruption corpus, generated from the fixtures and from an engine-made image: one case per
/// kind of damage. For each: `-n` reports it with the right exit status, names it and leaves the
/// image's bytes unchanged; `-y` repairs it; a second `-n` exits 0; every undamaged file still
/// matches the manifest.
@Suite(.serialized) struct CorruptionCorpusTests {
    static let fsck = CheckFixtures.tool("redoxfs-fsck")

    /// Runs the tool; returns its exit status and, with `--json`, the report.
    static func run(_ arguments: [String], image: String, password: [UInt8]?) throws -> (status: Int32, report: CheckReport?, output: String) {
        var extra: [String] = []
        if let password {
            let file = URL(fileURLWithPath: image).deletingLastPathComponent().appendingPathComponent("password").path
            try Data(password).write(to: URL(fileURLWithPath: file))
            extra = ["--password-file", file]
        }
        let result = try CheckFixtures.run(fsck, arguments + ["--json"] + extra + [image])
        let report = try? JSONDecoder().decode(CheckReport.self, from: result.output)
        return (result.status, report, String(decoding: result.output + result.error, as: UTF8.self))
    }

    /// The start block and every block of the newest generation, or nil when it cannot be walked.
    static func blocksOfNewestGeneration(_ path: String, password: [UInt8]?) -> (UInt64, Set<UInt64>)? {
        guard let fs = try? FileSystem(path: path, readOnly: true, password: password),
              let usage = try? fs.blockUsage() else { return nil }
        return (fs.startBlock, Set(usage.users.keys))
    }

    @Test(.timeLimit(.minutes(10)), arguments: DamageCase.all)
    func damageIsFoundAndRepaired(_ damage: DamageCase) throws {
        let (path, manifestText): (String, String)
        if damage.image == "generated" {
            (path, manifestText) = try GeneratedImage.copy()
        } else {
            (path, manifestText) = (try CheckFixtures.copy(damage.image), try CheckFixtures.manifest(damage.image))
        }
        let manifest = ReferenceManifest(text: manifestText)
        var surgeon = try ImageSurgeon(path: path, password: damage.password)
        let damaged = try damage.damage(&surgeon, manifest)
        surgeon.close()
        let scrub = damage.scrub ? ["--scrub"] : []

        // -n: the right status, the damage named, not a byte written.
        let before = try CheckFixtures.digest(path)
        let check = try Self.run(["-n", "-f"] + scrub, image: path, password: damage.password)
        #expect(try CheckFixtures.digest(path) == before, "-n changed the image")
        #expect(check.status == damage.exitStatus, "\(check.output.prefix(4000))")
        let report = try #require(check.report, "no JSON report: \(check.output.prefix(2000))")
        let found = Set(report.problems.map(\.code))
        #expect(damage.expected.isSubset(of: found), "missing \(damage.expected.subtracting(found)); found \(found)")
        if let named = damage.named {
            #expect(report.problems.contains { ($0.path ?? "").hasPrefix(named) || $0.message.contains(named) },
                    "no problem names \(named): \(report.problems.map { "\($0.message) — \($0.path ?? "")" }.prefix(10))")
        }

        let fallback = report.repairs.contains { if case .fallBackToHeader = $0.action { return true } else { return false } }
        #expect(fallback == damage.fallsBack, "\(report.repairs.map(\.summary))")

        // The same check with the blocks out of the page cache and read direct: the same findings.
        try #require(FileManager.default.fileExists(atPath: path))
        PageCacheDrop.drop(path)
        let direct = try Self.run(["-n", "-f", "--direct-io"] + scrub, image: path, password: damage.password)
        #expect(direct.status == check.status)
        #expect(direct.report?.problems == report.problems)
        #expect(direct.report?.statistics.nodes == report.statistics.nodes)

        // -y: one repair commit, then nothing left.
        let oldGeneration = Self.blocksOfNewestGeneration(path, password: damage.password)
        let unrepaired = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let repair = try Self.run(["-y"] + scrub, image: path, password: damage.password)
        #expect(repair.status & FsckExitStatus.operationalError == 0, "\(repair.output.prefix(4000))")
        // The repair never overwrites a block the generation it replaces uses. Checked on every
        // case whose damaged generation can still be walked (`oldGenerationReadable`); a case
        // that cannot is declared so, and one that stops being walkable fails here, not skips.
        #expect((oldGeneration != nil) == damage.oldGenerationReadable,
                "the damaged generation \(oldGeneration == nil ? "cannot" : "can") be walked; the case says otherwise")
        if let (startBlock, used) = oldGeneration {
            let repaired = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let touched = RepairReserveTests.changedBlocks(unrepaired, repaired)
                .filter { $0 >= startBlock && used.contains($0 - startBlock) }
            #expect(touched.isEmpty, "the repair overwrote blocks of the old generation: \(touched.prefix(20))")
        }
        if damage.repairable {
            #expect(repair.status == FsckExitStatus.corrected, "\(repair.output.prefix(4000))")
            let again = try Self.run(["-n", "-f"] + scrub, image: path, password: damage.password)
            #expect(again.status == 0, "\(again.output.prefix(4000))")
            // Only what the undamaged fixture itself shows may remain (its slot 0, for encrypted mkfs).
            let left = again.report?.problems.filter { $0.code != .headerSlotZeroInvalid } ?? []
            #expect(left.isEmpty, "\(left.map(\.message))")
        }

        // Every file the damage did not touch reads as in the manifest.
        guard damage.repairable else { return }
        let differences = try manifest.differences(in: path, password: damage.password, damaged: damaged)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
    }

    /// The old-generation check above runs on most of the corpus: the cases it cannot run on are
    /// the declared ones, and they stay few.
    @Test func oldGenerationCheckCoversTheCorpus() {
        let unchecked = DamageCase.all.filter { !$0.oldGenerationReadable }.map(\.name)
        #expect(DamageCase.all.count - unchecked.count == 24, "checked on \(DamageCase.all.count - unchecked.count) cases; not on \(unchecked)")
    }

    /// Without `--scrub` data records are checked through their pointers only: a bit flipped inside
    /// one is not read (the check is clean and reads fewer blocks); `--scrub` reads it, names the
    /// file and reports its throughput.
    @Test(.timeLimit(.minutes(10)))
    func dataRecordsAreReadOnlyByScrub() throws {
        let path = try CheckFixtures.copy("ar")
        var surgeon = try ImageSurgeon(path: path, password: nil)
        let block = try surgeon.node(surgeon.id(of: "/random-1MiB.bin")).levelPointer(3).address.index
        try surgeon.flipBit(block: block, byte: 17)
        surgeon.close()

        let quick = try Self.run(["-n", "-f"], image: path, password: nil)
        #expect(quick.status == 0, "\(quick.output.prefix(4000))")
        let quickReport = try #require(quick.report, "no JSON report: \(quick.output.prefix(2000))")
        #expect(quickReport.problems.allSatisfy { $0.block != block }, "\(quickReport.problems.map(\.message))")
        #expect(quickReport.statistics.recordBytesVerified == 0)

        let scrubbed = try Self.run(["-n", "-f", "--scrub"], image: path, password: nil)
        #expect(scrubbed.status == 4, "\(scrubbed.output.prefix(4000))")
        let report = try #require(scrubbed.report, "no JSON report: \(scrubbed.output.prefix(2000))")
        #expect(report.problems.contains { $0.code == .checksumMismatch && $0.block == block && ($0.path ?? "") == "/random-1MiB.bin" },
                "\(report.problems.map(\.message))")
        #expect(report.statistics.recordBytesVerified > 1 << 20)
        #expect(report.statistics.blocksRead > quickReport.statistics.blocksRead)
        #expect(report.statistics.scrubSeconds > 0)

        // The throughput line of the text report.
        let text = try CheckFixtures.run(Self.fsck, ["-n", "-f", "--scrub", path])
        let output = String(decoding: text.output, as: UTF8.self)
        #expect(output.contains("MB/s"), "\(output.suffix(2000))")
    }
}
