import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// Recovery that keeps what an older generation still holds: a repair rewinds to an intact
/// generation when that loses less than repairing the newest tree in place, `-p` rewinds only a
/// torn commit, the engine refuses a damaged newest generation and opens older ones read-only.
@Suite(.serialized) struct RecoveryTests {
    static let fsck = CheckFixtures.tool("redoxfs-fsck")

    /// Runs redoxfs-fsck with `--json`; returns its status and report.
    static func fsck(_ arguments: [String], _ image: String) throws -> (status: Int32, report: CheckReport?, output: String) {
        let result = try CheckFixtures.run(fsck, arguments + ["--json", image])
        let report = try? JSONDecoder().decode(CheckReport.self, from: result.output)
        return (result.status, report, String(decoding: result.output + result.error, as: UTF8.self))
    }

    /// A copy of fixture `name` with `commits` more commits made through the engine, each adding a
    /// small file under `directory`; returns the path and the generation before the last of them.
    static func withCommits(_ name: String, directory: String, commits: Int) throws -> (path: String, base: UInt64) {
        try withCommits(name, directories: Array(repeating: directory, count: commits))
    }

    /// A copy of fixture `name` with one commit per directory of `directories`, each adding a small
    /// file there; returns the path and the generation before the last commit.
    static func withCommits(_ name: String, directories: [String], copy: String? = nil) throws -> (path: String, base: UInt64) {
        let path = try copy ?? CheckFixtures.copy(name)
        let fs = try FileSystem(path: path, readOnly: false)
        let base = fs.header.generation
        let commits = directories.count
        for (number, directory) in directories.enumerated() {
            let parent = try fs.lookup(directory)
            let file = try fs.create(Array("late-\(number).txt".utf8), in: parent, mode: 0x8000 | 0o644, uid: 0, gid: 0)
            // More than `NewestCommitCheck.smallCommitBlocks` blocks, incompressible: a commit
            // that flushed its blocks before its header, so its damage is damage, not a torn
            // one-flush commit the open-time check passes over.
            _ = try fs.write(file, at: 0, Array("written by commit \(number)\n".utf8) + Self.incompressible(1_200_000, seed: UInt64(number)))
            try fs.sync()
        }
        #expect(fs.header.generation == base + UInt64(commits))
        fs.close()
        return (path, base + UInt64(commits) - 1)
    }

    /// `count` bytes LZ4 cannot shrink (xorshift).
    static func incompressible(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    /// The torn commit: a commit whose header landed but whose root tree list did not (zeroed).
    static func tornCommit(_ name: String) throws -> (path: String, base: UInt64) {
        let made = try withCommits(name, directory: "/", commits: 1)
        var surgeon = try ImageSurgeon(path: made.path)
        #expect(surgeon.header.generation == made.base + 1)
        #expect(made.base == UInt64(try ReferenceManifest.generation(of: name)))
        try surgeon.zero(block: surgeon.header.tree.address.index)
        surgeon.close()
        return made
    }

    /// Fixture `name` after `commits` commits whose headers reached the disk but whose other blocks
    /// did not (a write cache lost at power-off): every block but the header ring is as before them.
    /// Returns the path and the fixture's generation.
    static func lostWrites(_ name: String, commits: Int) throws -> (path: String, base: UInt64) {
        let path = try CheckFixtures.copy(name)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let made = try withCommits(name, directories: Array(repeating: "/links", count: commits), copy: path)
        let after = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? after.close() }
        let block = RedoxFS.blockSize
        for index in Int(RedoxFS.headerRing)..<(before.count / block) {
            try after.seek(toOffset: UInt64(index * block))
            let now = try after.read(upToCount: block) ?? Data()
            let old = before[(index * block)..<((index + 1) * block)]
            if now != old {
                try after.seek(toOffset: UInt64(index * block))
                try after.write(contentsOf: old)
            }
        }
        return (path, made.base + 1 - UInt64(commits))
    }

    /// The target of the symbolic link at `path`, byte for byte.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &buffer, 4096)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Every path of the fixture's manifest reads as it lists it (content, type, mode, owner).
    static func expectFixtureTree(_ name: String, in path: String) throws {
        let manifest = ReferenceManifest(text: try CheckFixtures.manifest(name))
        let differences = try manifest.differences(in: path, password: nil, damaged: [])
        #expect(differences.count == 0, "\(differences.prefix(10))")
    }

    @Test(.timeLimit(.minutes(10))) func tornCommitRewindsKeepingEveryPath() throws {
        let (path, base) = try Self.tornCommit("clone")
        let check = try Self.fsck(["-n", "-f"], path)
        #expect(check.status == 4, "\(check.output.prefix(3000))")
        let planned = try #require(check.report?.rewind, "\(check.output.prefix(3000))")
        #expect(planned.toGeneration == base)
        #expect(planned.tornCommit)
        #expect(planned.inPlaceLoss > 3000)

        let repair = try Self.fsck(["-y"], path)
        #expect(repair.status == FsckExitStatus.corrected, "\(repair.output.prefix(3000))")
        let rewind = try #require(repair.report?.rewind)
        #expect(rewind.fromGeneration == base + 1 && rewind.toGeneration == base && rewind.newGeneration == base + 2)
        #expect(rewind.commitsGivenUp == 1)
        #expect(repair.report?.repairNote?.contains("rewind from generation \(base + 1) to generation \(base)") == true)

        let again = try Self.fsck(["-n", "-f"], path)
        #expect(again.status == 0, "\(again.output.prefix(3000))")
        #expect(again.report?.generation == base + 2)
        try Self.expectFixtureTree("clone", in: path)
    }

    @Test(.timeLimit(.minutes(10))) func preenRewindsOnlyATornCommit() throws {
        let (path, base) = try Self.tornCommit("ar")
        let preen = try Self.fsck(["-p"], path)
        #expect(preen.status == FsckExitStatus.corrected, "\(preen.output.prefix(3000))")
        #expect(preen.report?.rewind?.toGeneration == base)
        #expect(try Self.fsck(["-n", "-f"], path).status == 0)
        try Self.expectFixtureTree("ar", in: path)

        // Two commits lost: the newest generation's damage is not its own alone, so not a torn
        // commit: -p reports what -y would do and writes nothing.
        let (other, otherBase) = try Self.lostWrites("ar", commits: 2)
        let before = try CheckFixtures.digest(other)
        let refused = try Self.fsck(["-p"], other)
        #expect(refused.status == 4, "\(refused.output.prefix(3000))")
        #expect(try CheckFixtures.digest(other) == before, "-p wrote to the image")
        #expect(refused.report?.repairNote?.contains("-y would rewind") == true, "\(refused.report?.repairNote ?? "")")
        #expect(refused.report?.rewind?.toGeneration == otherBase)
    }

    @Test(.timeLimit(.minutes(10))) func damagedDirectoryRewindsToTheGenerationHoldingItIntact() throws {
        let (path, base) = try Self.withCommits("ar", directory: "/links", commits: 1)
        var surgeon = try ImageSurgeon(path: path)
        try surgeon.flipBit(block: try surgeon.node(surgeon.id(of: "/links")).levelPointer(1).address.index, byte: 12)
        surgeon.close()
        let repair = try Self.fsck(["-y"], path)
        #expect(repair.status == FsckExitStatus.corrected, "\(repair.output.prefix(3000))")
        #expect(repair.report?.rewind?.toGeneration == base)
        #expect(try Self.fsck(["-n", "-f"], path).status == 0)
        try Self.expectFixtureTree("ar", in: path)
    }

    @Test(.timeLimit(.minutes(10))) func damagedTreeListRewindsToTheGenerationHoldingItIntact() throws {
        let (path, base) = try Self.withCommits("ar", directory: "/", commits: 1)
        var surgeon = try ImageSurgeon(path: path)
        // The level-0 tree list of the new node was rewritten by the last commit.
        let id = try surgeon.id(of: "/late-0.txt")
        try surgeon.flipBit(block: try surgeon.treePath(id).last!.block, byte: 100)
        surgeon.close()
        let repair = try Self.fsck(["-y"], path)
        #expect(repair.status == FsckExitStatus.corrected, "\(repair.output.prefix(3000))")
        #expect(repair.report?.rewind?.toGeneration == base)
        #expect(try Self.fsck(["-n", "-f"], path).status == 0)
        try Self.expectFixtureTree("ar", in: path)
    }

    @Test(.timeLimit(.minutes(10))) func twoDamagedGenerationsRewindFurther() throws {
        let (path, base) = try Self.lostWrites("ar", commits: 2)
        let repair = try Self.fsck(["-y"], path)
        #expect(repair.status == FsckExitStatus.corrected, "\(repair.output.prefix(3000))")
        #expect(repair.report?.rewind?.toGeneration == base)
        #expect(repair.report?.rewind?.commitsGivenUp == 2)
        #expect(try Self.fsck(["-n", "-f"], path).status == 0)
        try Self.expectFixtureTree("ar", in: path)
    }

    @Test(.timeLimit(.minutes(10))) func engineRefusesADamagedNewestGenerationAndOpensOlderOnes() throws {
        let (path, base) = try Self.tornCommit("ar")
        #expect(throws: FileSystemError.self) { try FileSystem(path: path) }
        do {
            _ = try FileSystem(path: path)
        } catch {
            guard case .damagedGeneration(let generation, _, let intact) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(generation == base + 1)
            #expect(intact == base)
            #expect(error.description.contains("redoxfs-fsck -y"))
            #expect(error.description.contains("--generation \(base)"))
        }
        let older = try FileSystem(path: path, generation: base)
        defer { older.close() }
        #expect(older.header.generation == base)
        #expect(try older.lookup("/links") > 0)
        #expect(throws: FileSystemError.self) { try FileSystem(path: path, readOnly: false, generation: base) }
        #expect(throws: FileSystemError.self) { try FileSystem(path: path, generation: base + 7) }
    }

    @Test(.timeLimit(.minutes(10))) func dumpAndExtractRefuseNamingTheIntactGenerationAndReadIt() throws {
        let (path, base) = try Self.tornCommit("ar")
        let dump = CheckFixtures.tool("redoxfs-dump")
        let refused = try CheckFixtures.run(dump, [path])
        let message = String(decoding: refused.error, as: UTF8.self)
        #expect(refused.status != 0)
        #expect(message.contains("generation \(base) is the newest intact one"), "\(message)")
        #expect(message.contains("redoxfs-fsck -y"), "\(message)")
        let older = try CheckFixtures.run(dump, ["--generation", "\(base)", path])
        #expect(older.status == 0, "\(String(decoding: older.error, as: UTF8.self))")
        #expect(String(decoding: older.output, as: UTF8.self) == (try CheckFixtures.manifest("ar")))

        let extract = CheckFixtures.tool("redoxfs-extract")
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("extract-\(UUID())").path
        #expect(try CheckFixtures.run(extract, [path, target]).status != 0)
        let copied = try CheckFixtures.run(extract, ["--generation", "\(base)", path, target + "-older"])
        #expect(copied.status == 0, "\(String(decoding: copied.error, as: UTF8.self))")
        #expect(FileManager.default.fileExists(atPath: target + "-older/links"))
    }

    /// Every generation damaged: the newest lost its root tree list, and a record every older
    /// generation shares is corrupt. The salvage copies out every other file from the previous
    /// generation (checked against the fixture's hashes), names the one it cannot, and writes
    /// nothing to the image.
    @Test(.timeLimit(.minutes(10))) func salvageRecoversEveryFileThatVerifiesSomewhere() throws {
        let made = try Self.withCommits("ar", directory: "/", commits: 1)
        var surgeon = try ImageSurgeon(path: made.path)
        let broken = "/random-1MiB.bin"
        try surgeon.flipBit(block: try surgeon.node(surgeon.id(of: broken)).levelPointer(3).address.index, byte: 17)
        try surgeon.zero(block: surgeon.header.tree.address.index)
        surgeon.close()
        let path = made.path
        let before = try CheckFixtures.digest(path)

        let target = FileManager.default.temporaryDirectory.appendingPathComponent("salvage-\(UUID())").path
        let result = try CheckFixtures.run(CheckFixtures.tool("redoxfs-extract"), ["--salvage", path, target])
        let output = String(decoding: result.output, as: UTF8.self)
        #expect(result.status == 2, "\(String(decoding: result.error, as: UTF8.self))")
        #expect(try CheckFixtures.digest(path) == before, "the salvage wrote to the image")
        #expect(output.contains("lost\t\(broken)"), "\(output.suffix(2000))")
        #expect(output.contains("recovered\t\(made.base)\t/one\n"))

        let manifest = ReferenceManifest(text: try CheckFixtures.manifest("ar"))
        var checked = 0
        for line in manifest.lines where line.path != broken {
            let host = target + (line.path == "/" ? "" : line.path)
            switch line.type {
            case "f":
                #expect(try CheckFixtures.digest(host) == line.columns[13], "\(line.path)")
                checked += 1
            case "l":
                #expect(Self.linkTarget(host) == line.columns[14], "\(line.path)")
            default:
                var isDirectory: ObjCBool = false
                #expect(FileManager.default.fileExists(atPath: host, isDirectory: &isDirectory) && isDirectory.boolValue, "\(line.path)")
            }
        }
        #expect(checked > 3000)
        #expect(!FileManager.default.fileExists(atPath: target + broken))
    }
}
