import Foundation
import RedoxFSTestSupport
import Testing

/// `--partition N` and `--uuid U` of the tools that open an existing image, on a disk in
/// redox-installer's layout (BIOS 1, EFI 2, REDOX 3): they find the RedoxFS partition as the
/// mount does, name what is missing, and never read or write past the partition's end.
@Suite struct PartitionOptionTests {
    static let fsck = Fixtures.tool("redoxfs-fsck")
    static let dump = Fixtures.tool("redoxfs-dump")
    static let extract = Fixtures.tool("redoxfs-extract")
    static let resize = Fixtures.tool("redoxfs-resize")
    static let clone = Fixtures.tool("redoxfs-clone")
    static let keys = Fixtures.tool("redoxfs-keys")

    /// A disk assembled by `redox-installer --esp-image --redoxfs-image` from an ESP of patterned
    /// bytes and a RedoxFS volume of 15,000,000 bytes holding two files; the volume (named
    /// `disk.img` too, in a folder of its own, so that dumps match) stays beside it. Options:
    /// `espVolume`, an ESP that is a RedoxFS volume of 4,000,000 bytes too (so partition 2, at
    /// 1 MiB, holds a file system in the first 2 MiB of the disk); `password`, an encrypted
    /// volume; `claimedSize`, a volume grown to this size and cut back to 15,000,000 bytes (a
    /// file system larger than its partition).
    struct InstalledDisk {
        let folder: URL
        let path: String
        let volume: String
        /// The file system's uuid, as `redoxfs-dump` prints it.
        let uuid: String
        /// The uuid of the ESP's file system when it is a RedoxFS volume, else empty.
        let espUUID: String
        /// The ESP (partition 2): from 1 MiB.
        let espEnd: Int
        /// RedoxFS's partition: at 2 MiB (after a default ESP), up to the backup GPT in the last MiB.
        var partitionStart: Int { espEnd }
        let partitionEnd: Int

        init(espVolume: Bool = false, password: String? = nil, claimedSize: String? = nil) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("partition-\(UUID().uuidString)")
            let tree = folder.appendingPathComponent("tree")
            let volumeFolder = folder.appendingPathComponent("volume")
            try FileManager.default.createDirectory(at: tree.appendingPathComponent("d"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: volumeFolder, withIntermediateDirectories: true)
            try Data("in partition 3\n".utf8).write(to: tree.appendingPathComponent("a.txt"))
            try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: tree.appendingPathComponent("d/b.bin"))
            volume = volumeFolder.appendingPathComponent("disk.img").path
            var encryption: [String] = []
            if let password {
                let file = folder.appendingPathComponent("password").path
                try Data(password.utf8).write(to: URL(fileURLWithPath: file))
                encryption = ["--password-file", file]
            }
            try Self.make(["--size", "15000K"] + encryption + [volume, tree.path])
            uuid = try Self.uuid(of: volume, encryption: encryption)
            if let claimedSize {
                let grown = try Fixtures.run(PartitionOptionTests.resize, ["-q"] + encryption + [volume, claimedSize])
                guard grown.status == 0 else { throw Fixtures.FixtureError.commandFailed(PartitionOptionTests.text(grown.error)) }
                guard truncate(volume, 15_000 * 1024) == 0 else { throw Fixtures.FixtureError.commandFailed("truncate") }
            }
            let esp = folder.appendingPathComponent("esp.img")
            if espVolume {
                try Self.make(["--size", "4000K", esp.path, tree.path])
                espEnd = 5 << 20
            } else {
                try Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }).write(to: esp)
                espEnd = 2 << 20
            }
            path = folder.appendingPathComponent("disk.img").path
            let installed = try Fixtures.run(
                Fixtures.tool("redox-installer"), ["--esp-image", esp.path, "--redoxfs-image", volume, path])
            guard installed.status == 0 else {
                throw Fixtures.FixtureError.commandFailed(String(decoding: installed.error, as: UTF8.self))
            }
            partitionEnd = Int(try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64 ?? 0) - (1 << 20)
            espUUID = espVolume ? try Self.uuid(of: esp.path, encryption: []) : ""
        }

        /// Runs redoxfs-ar with `arguments`.
        static func make(_ arguments: [String]) throws {
            let made = try Fixtures.run(Fixtures.tool("redoxfs-ar"), arguments)
            guard made.status == 0 else { throw Fixtures.FixtureError.commandFailed(PartitionOptionTests.text(made.error)) }
        }

        /// The uuid of the file system in `image`, as `redoxfs-dump` prints it.
        static func uuid(of image: String, encryption: [String]) throws -> String {
            let header = PartitionOptionTests.text(try Fixtures.run(PartitionOptionTests.dump, encryption + [image]).output)
            return header.split(separator: "\n").first { $0.hasPrefix("# uuid ") }.map { String($0.dropFirst(7)) } ?? ""
        }

        func bytes() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    @Test func fsckChecksThePartitionAndNamesIt() throws {
        let disk = try InstalledDisk()
        defer { disk.remove() }
        #expect(disk.partitionEnd - disk.partitionStart == 15 << 20)
        let byNumber = try Fixtures.run(Self.fsck, ["-n", "--partition", "3", disk.path])
        #expect(byNumber.status == 0, "\(Self.text(byNumber.error))")
        #expect(Self.text(byNumber.output).contains("\(disk.path) (partition 3): clean"))
        #expect(Self.text(byNumber.output).contains("uuid \(disk.uuid)"))
        // -y writes nothing to a clean partition, and nothing outside it.
        let before = try disk.bytes()
        let repair = try Fixtures.run(Self.fsck, ["-y", "--partition", "3", disk.path])
        #expect(repair.status == 0, "\(Self.text(repair.error))")
        #expect(try disk.bytes() == before)
        // The ESP (partition 2) holds no file system.
        let esp = try Fixtures.run(Self.fsck, ["-n", "--partition", "2", disk.path])
        #expect(esp.status == 8)
        #expect(Self.text(esp.error).contains("\(disk.path) (partition 2): no valid RedoxFS header"))
    }

    @Test func dumpExtractAndCloneReadThePartition() throws {
        let disk = try InstalledDisk()
        defer { disk.remove() }
        let expected = try Fixtures.run(Self.dump, [disk.volume])
        let dumped = try Fixtures.run(Self.dump, ["--partition", "3", disk.path])
        #expect(dumped.status == 0, "\(Self.text(dumped.error))")
        #expect(Self.text(dumped.output) == Self.text(expected.output))
        #expect(Self.text(dumped.output).contains("/a.txt\tf"))

        let directory = disk.folder.appendingPathComponent("out")
        let extracted = try Fixtures.run(Self.extract, ["--partition", "3", disk.path, directory.path])
        #expect(extracted.status == 0, "\(Self.text(extracted.error))")
        #expect(try String(contentsOf: directory.appendingPathComponent("a.txt"), encoding: .utf8) == "in partition 3\n")
        #expect(try Data(contentsOf: directory.appendingPathComponent("d/b.bin")).count == 300_000)

        let copy = disk.folder.appendingPathComponent("copy/disk.img")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        let cloned = try Fixtures.run(Self.clone, ["-q", "--partition", "3", disk.path, copy.path, "--size", "16MiB"])
        #expect(cloned.status == 0, "\(Self.text(cloned.error))")
        let copied = Self.text(try Fixtures.run(Self.dump, [copy.path]).output)
        #expect(copied.contains("/d/b.bin\tf"))
    }

    @Test func uuidFindsTheFileSystem() throws {
        let disk = try InstalledDisk()
        defer { disk.remove() }
        #expect(!disk.uuid.isEmpty)
        let checked = try Fixtures.run(Self.fsck, ["-n", "--uuid", disk.uuid.uppercased(), disk.path])
        #expect(checked.status == 0, "\(Self.text(checked.error))")
        #expect(Self.text(checked.output).contains("\(disk.path) (partition 3): clean"))
        let dumped = try Fixtures.run(Self.dump, ["--uuid", disk.uuid, disk.path])
        #expect(dumped.status == 0)
        #expect(Self.text(dumped.output) == Self.text(try Fixtures.run(Self.dump, [disk.volume]).output))
    }

    @Test func missingPartitionOrUUIDIsAnError() throws {
        let disk = try InstalledDisk()
        defer { disk.remove() }
        let message = "\(disk.path) has no partition 4 (it has 1, 2, 3)"
        let fsck = try Fixtures.run(Self.fsck, ["-n", "--partition", "4", disk.path])
        #expect(fsck.status == 8)
        #expect(Self.text(fsck.error) == "redoxfs-fsck: \(message)\n")
        for tool in [Self.dump, Self.resize] {
            let run = try Fixtures.run(tool, ["--partition", "4", disk.path])
            #expect(run.status == 1)
            #expect(Self.text(run.error).hasSuffix(": \(message)\n"))
        }
        let extract = try Fixtures.run(Self.extract, ["--partition", "4", disk.path, disk.folder.appendingPathComponent("x").path])
        #expect(extract.status == 1)
        #expect(Self.text(extract.error) == "redoxfs-extract: \(message)\n")

        let other = "11111111-2222-3333-4444-555555555555"
        let wanted = "no RedoxFS file system or partition with uuid \(other) in \(disk.path)"
        let fsckUUID = try Fixtures.run(Self.fsck, ["-n", "--uuid", other, disk.path])
        #expect(fsckUUID.status == 8)
        #expect(Self.text(fsckUUID.error) == "redoxfs-fsck: \(wanted)\n")
        let dumpUUID = try Fixtures.run(Self.dump, ["--uuid", other, disk.path])
        #expect(dumpUUID.status == 1)
        #expect(Self.text(dumpUUID.error) == "redoxfs-dump: \(wanted)\n")

        // Usage errors: fsck(8)'s 16.
        #expect(try Fixtures.run(Self.fsck, ["--partition", "0", disk.path]).status == 16)
        #expect(try Fixtures.run(Self.fsck, ["--partition", "3", "--uuid", disk.uuid, disk.path]).status == 16)
    }

    @Test func resizeStaysInsideThePartition() throws {
        let disk = try InstalledDisk()
        defer { disk.remove() }
        let before = try disk.bytes()
        let tooLarge = try Fixtures.run(Self.resize, ["--partition", "3", disk.path, "1GiB"])
        #expect(tooLarge.status == 1)
        #expect(Self.text(tooLarge.error).contains("does not fit in partition 3: the file system can grow to"))
        #expect(try disk.bytes() == before)

        // max: the file system grows to the partition's end, the disk keeps its length and
        // everything outside the partition (GPTs, ESP) stays as it was.
        let grown = try Fixtures.run(Self.resize, ["-q", "--partition", "3", disk.path])
        #expect(grown.status == 0, "\(Self.text(grown.error))")
        let after = try disk.bytes()
        #expect(after.count == before.count)
        #expect(after.prefix(disk.partitionStart) == before.prefix(disk.partitionStart))
        #expect(after.suffix(from: disk.partitionEnd) == before.suffix(from: disk.partitionEnd))
        let dumped = Self.text(try Fixtures.run(Self.dump, ["--partition", "3", disk.path]).output)
        #expect(dumped.contains("fs_size \(15 << 20) "))
        let checked = try Fixtures.run(Self.fsck, ["-n", "--partition", "3", disk.path])
        #expect(checked.status == 0, "\(Self.text(checked.output))")
    }
}
