import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// The command line: fsck(8) exit statuses, the names it is started under, its options.
@Suite struct ToolTests {
    static let fsck = CheckFixtures.tool("redoxfs-fsck")

    static func run(_ arguments: [String], executable: String = fsck, input: Data? = nil) throws -> (status: Int32, output: String, error: String) {
        let result = try CheckFixtures.run(executable, arguments, input: input)
        return (result.status, String(decoding: result.output, as: UTF8.self), String(decoding: result.error, as: UTF8.self))
    }

    static func passwordFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsck-password-\(UUID())").path
        try Data(CheckFixtures.password).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func cleanImageExitsZero() throws {
        let result = try Self.run(["-n", "-f", try CheckFixtures.image("ar")])
        #expect(result.status == 0)
        #expect(result.output.contains("clean"))
        #expect(result.output.contains("Pass 5"))
    }

    @Test func usageErrorsExitSixteen() throws {
        let image = try CheckFixtures.image("mkfs-empty")
        #expect(try Self.run(["-n", "-y", image]).status == FsckExitStatus.usageError)
        #expect(try Self.run(["-p", "-y", image]).status == FsckExitStatus.usageError)
        #expect(try Self.run([]).status == FsckExitStatus.usageError)
        #expect(try Self.run(["--no-such-option", image]).status == FsckExitStatus.usageError)
        #expect(try Self.run(["--block", "zz", image]).status == FsckExitStatus.usageError)
        #expect(try Self.run(["--help"]).status == 0)
    }

    @Test func operationalErrorsExitEight() throws {
        #expect(try Self.run(["-n", "/no/such/image"]).status == FsckExitStatus.operationalError)
        let zeros = try CheckFixtures.emptyImage(bytes: 1 << 20)
        let result = try Self.run(["-n", zeros])
        #expect(result.status == FsckExitStatus.operationalError)
        #expect(result.error.contains("no valid RedoxFS header"))
        // Encrypted, with a wrong password on standard input.
        let wrong = try Self.run(["-n", try CheckFixtures.image("mkfs-empty-encrypted")], input: Data("wrong horse\n".utf8))
        #expect(wrong.status == FsckExitStatus.operationalError)
        #expect(wrong.error.contains("wrong password"))
    }

    @Test func encryptedImageWithPasswordFile() throws {
        let result = try Self.run(["-n", "--password-file", try Self.passwordFile(), try CheckFixtures.image("encrypted-fuse")])
        #expect(result.status == 0, "\(result.output)\(result.error)")
    }

    /// Installed as `fsck.redoxfs` (a link), the tool behaves the same and names itself so.
    @Test func runsAsFsckDotRedoxfs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsck-link-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let link = folder.appendingPathComponent("fsck.redoxfs").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Self.fsck)
        let image = try CheckFixtures.image("ar")
        #expect(try Self.run(["-n", image], executable: link).status == 0)
        // fsck(8) passes -a (taken as -p) and may pass -V and -C fd.
        let automatic = try Self.run(["-a", "-V", try CheckFixtures.copy("ar")], executable: link)
        #expect(automatic.status == 0, "\(automatic.output)\(automatic.error)")
        #expect(try Self.run(["-n", "-C0", image], executable: link).status == 0)
        let usage = try Self.run(["-x"], executable: link)
        #expect(usage.status == FsckExitStatus.usageError)
        #expect(usage.error.contains("fsck.redoxfs"))
    }

    /// `-C fd` writes fsck(8)'s completion lines: pass, done, total, device.
    @Test func completionLines() throws {
        let image = try CheckFixtures.image("ar")
        let result = try Self.run(["-n", "-C", "2", image])
        let lines = result.error.split(separator: "\n").filter { $0.hasSuffix(image) }
        #expect(!lines.isEmpty)
        for line in lines {
            let fields = line.split(separator: " ")
            #expect(fields.count == 4)
            #expect(Int(fields[0]).map { (1...6).contains($0) } == true)
            #expect(UInt64(fields[1]) != nil && UInt64(fields[2]) != nil)
        }
        #expect(lines.contains { $0.hasPrefix("5 ") })
    }

    @Test func jsonReport() throws {
        let result = try Self.run(["-n", "--json", try CheckFixtures.image("fuse-modified")])
        #expect(result.status == 0)
        let report = try JSONDecoder().decode(CheckReport.self, from: Data(result.output.utf8))
        #expect(report.generation == 1136)
        #expect(report.problems.map(\.code) == [.staleRecord, .blockLeaked])
        #expect(report.ring.count == 256)
        #expect(report.passes.count == 5)
    }

    /// -p applies only the safe fixes: a damaged record (found by --scrub) needs -y, so nothing is written.
    @Test func preenLeavesUnsafeFixes() throws {
        let path = try CheckFixtures.copy("ar")
        var surgeon = try ImageSurgeon(path: path)
        try surgeon.flipBit(block: try surgeon.node(surgeon.id(of: "/random-1MiB.bin")).levelPointer(1).address.index, byte: 5)
        surgeon.close()
        let before = try CheckFixtures.digest(path)
        let result = try Self.run(["-p", "--scrub", path])
        #expect(result.status == FsckExitStatus.uncorrected, "\(result.output)")
        #expect(try CheckFixtures.digest(path) == before)
        #expect(result.output.contains("needs -y"))
    }

    /// -p fixes what is safe: the leaked block of fuse-modified and its stale record.
    @Test func preenFixesSafeProblems() throws {
        let path = try CheckFixtures.copy("fuse-modified")
        let result = try Self.run(["-p", path])
        #expect(result.status == FsckExitStatus.corrected, "\(result.output)")
        let again = try Self.run(["-n", "--json", path])
        let report = try JSONDecoder().decode(CheckReport.self, from: Data(again.output.utf8))
        #expect(again.status == 0)
        #expect(report.problems.isEmpty, "\(report.problems.map(\.message))")
        let manifest = ReferenceManifest(text: try CheckFixtures.manifest("fuse-modified"))
        #expect(try manifest.differences(in: path, password: nil, damaged: []).isEmpty)
    }

    /// --scrub reads every block and names the owners of the bad ones.
    @Test func scrubNamesOwners() throws {
        let path = try CheckFixtures.copy("ar")
        var surgeon = try ImageSurgeon(path: path)
        try surgeon.flipBit(block: try surgeon.node(surgeon.id(of: "/big-20MiB.bin")).levelPointer(128).address.index, byte: 1)
        surgeon.close()
        let result = try Self.run(["-n", "--scrub", "--json", path])
        #expect(result.status == FsckExitStatus.uncorrected)
        let report = try JSONDecoder().decode(CheckReport.self, from: Data(result.output.utf8))
        #expect(report.scrubbed)
        #expect(report.passes.map(\.pass).contains(.scrub))
        #expect(report.badBlocks.count == 1)
        #expect(report.badBlocks.first?.owners == ["/big-20MiB.bin"])
        #expect(report.statistics.blocksRead >= report.statistics.blocks)
    }

    /// A cancelled check stops with `CheckError.cancelled` (the tool exits 32).
    @Test func cancellation() throws {
        let device = try FileDevice.open(path: try CheckFixtures.image("ar"), readOnly: true)
        defer { device.close() }
        var polls = 0
        let observer = CheckObserver(isCancelled: {
            polls += 1
            return polls > 3
        })
        #expect(throws: CheckError.cancelled) {
            _ = try FileSystemChecker.check(device: device, observer: observer)
        }
    }
}
