import Foundation
import RedoxFSCommandSupport
import RedoxFSTestSupport
import Testing

/// The edges of `--partition` and `--uuid`: a file system in a partition at 1 MiB (inside the
/// first 2 MiB the header scan of a whole disk reads), offsets and sizes as large as UInt64
/// allows, a file system larger than its partition, a GPT partition uuid, and redoxfs-keys.
@Suite struct PartitionEdgeTests {
    typealias Disk = PartitionOptionTests.InstalledDisk

    static func text(_ data: Data) -> String { PartitionOptionTests.text(data) }

    /// Whether `after` equals `before` outside `range` (and has its length).
    static func sameOutside(_ range: Range<Int>, _ before: Data, _ after: Data) -> Bool {
        after.count == before.count && after.prefix(range.lowerBound) == before.prefix(range.lowerBound)
            && after.suffix(from: range.upperBound) == before.suffix(from: range.upperBound)
    }

    @Test func uuidFindsTheFileSystemOfAPartitionAtOneMiB() throws {
        let disk = try Disk(espVolume: true)
        defer { disk.remove() }
        #expect(!disk.espUUID.isEmpty)
        let checked = try Fixtures.run(PartitionOptionTests.fsck, ["-n", "--uuid", disk.espUUID, disk.path])
        #expect(checked.status == 0, "\(Self.text(checked.error))")
        #expect(Self.text(checked.output).contains("\(disk.path) (partition 2): clean"))

        // max: the file system grows to partition 2's end (5 MiB), never over partition 3 or
        // the backup GPT.
        let before = try disk.bytes()
        let grown = try Fixtures.run(PartitionOptionTests.resize, ["--uuid", disk.espUUID, disk.path])
        #expect(grown.status == 0, "\(Self.text(grown.error))")
        #expect(Self.text(grown.output).contains("resized filesystem on \(disk.path) (partition 2)"))
        #expect(Self.sameOutside((1 << 20)..<disk.espEnd, before, try disk.bytes()))
        let dumped = Self.text(try Fixtures.run(PartitionOptionTests.dump, ["--partition", "2", disk.path]).output)
        #expect(dumped.contains("fs_size \(4 << 20) "))
        #expect(try Fixtures.run(PartitionOptionTests.fsck, ["-n", "--partition", "3", disk.path]).status == 0)
    }

    @Test func uuidMayBeTheGPTPartitionUUID() throws {
        let disk = try Disk()
        defer { disk.remove() }
        let partitions = try DiskPartition.list(in: disk.path)
        let uuid = try #require(partitions.first { $0.number == 3 }?.uuid)
        try #require(uuid != disk.uuid)
        let checked = try Fixtures.run(PartitionOptionTests.fsck, ["-n", "--uuid", "{\(uuid.uppercased())}", disk.path])
        #expect(checked.status == 0, "\(Self.text(checked.error))")
        #expect(Self.text(checked.output).contains("\(disk.path) (partition 3): clean"))
        #expect(Self.text(checked.output).contains("uuid \(disk.uuid)"))
    }

    @Test func offsetPastThePartitionIsAnErrorNotACrash() throws {
        let disk = try Disk()
        defer { disk.remove() }
        let partitionBytes = disk.partitionEnd - disk.partitionStart
        for offset in [String(partitionBytes), String(UInt64.max)] {
            let message = "offset \(offset) lies past the end of partition 3 of \(disk.path) (\(partitionBytes) bytes)"
            let fsck = try Fixtures.run(PartitionOptionTests.fsck, ["-n", "--partition", "3", "--offset", offset, disk.path])
            #expect(fsck.status == 8)
            #expect(Self.text(fsck.error) == "redoxfs-fsck: \(message)\n")
            let dump = try Fixtures.run(PartitionOptionTests.dump, ["--partition", "3", "--offset", offset, disk.path])
            #expect(dump.status == 1)
            #expect(Self.text(dump.error) == "redoxfs-dump: \(message)\n")
        }
        // --uuid of a plain image names the whole file (no length): the open refuses the offset.
        let whole = try Fixtures.run(
            PartitionOptionTests.dump, ["--uuid", disk.uuid, "--offset", String(UInt64.max), disk.volume])
        #expect(whole.status == 1)
        // The path once, in front.
        #expect(Self.text(whole.error).hasPrefix("redoxfs-dump: \(disk.volume): offset \(UInt64.max) lies past its end ("))
        #expect(Self.text(whole.error).components(separatedBy: disk.volume).count == 2)
    }

    @Test func hugeSizeIsAnErrorNotACrash() throws {
        let disk = try Disk()
        defer { disk.remove() }
        let before = try disk.bytes()
        let inPartition = try Fixtures.run(PartitionOptionTests.resize, ["--partition", "3", disk.path, String(UInt64.max)])
        #expect(inPartition.status == 1)
        #expect(Self.text(inPartition.error).contains("does not fit in partition 3: the file system can grow to"))
        #expect(try disk.bytes() == before)

        let volume = try Data(contentsOf: URL(fileURLWithPath: disk.volume))
        let plain = try Fixtures.run(PartitionOptionTests.resize, [disk.volume, String(UInt64.max)])
        #expect(plain.status == 1)
        #expect(Self.text(plain.error).hasSuffix("is larger than any image file or device can be\n"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk.volume)) == volume)
    }

    @Test func fileSystemLargerThanItsPartitionSaysWhatToDo() throws {
        let disk = try Disk(claimedSize: "20MiB")
        defer { disk.remove() }
        let message = "\(disk.path) (partition 3): the file system (\(20 << 20) bytes) is larger than the partition "
            + "(\(15 << 20) bytes): fix the partition table, or redoxfs-fsck -y shrinks it to fit\n"
        for (tool, name) in [(PartitionOptionTests.dump, "redoxfs-dump"), (PartitionOptionTests.resize, "redoxfs-resize")] {
            let run = try Fixtures.run(tool, ["--partition", "3", disk.path])
            #expect(run.status == 1)
            #expect(Self.text(run.error) == "\(name): \(message)")
        }
        let extract = try Fixtures.run(
            PartitionOptionTests.extract, ["--partition", "3", disk.path, disk.folder.appendingPathComponent("x").path])
        #expect(Self.text(extract.error) == "redoxfs-extract: \(message)")

        // As the message says: fsck -y shrinks it, inside the partition.
        let before = try disk.bytes()
        let repaired = try Fixtures.run(PartitionOptionTests.fsck, ["-y", "--partition", "3", disk.path])
        #expect(repaired.status == 1, "\(Self.text(repaired.output))")
        #expect(Self.sameOutside(disk.partitionStart..<disk.partitionEnd, before, try disk.bytes()))
        let dumped = try Fixtures.run(PartitionOptionTests.dump, ["--partition", "3", disk.path])
        #expect(Self.text(dumped.output).contains("fs_size \(15 << 20) "))
    }

    @Test func keysChangeNothingOutsideThePartition() throws {
        let disk = try Disk(password: "alpha")
        defer { disk.remove() }
        let first = disk.folder.appendingPathComponent("password").path
        let second = disk.folder.appendingPathComponent("second").path
        try Data("bravo".utf8).write(to: URL(fileURLWithPath: second))
        let listed = try Fixtures.run(PartitionOptionTests.keys, ["list", "--partition", "3", disk.path])
        #expect(listed.status == 0, "\(Self.text(listed.error))")
        #expect(Self.text(listed.output).hasPrefix("\(disk.path) (partition 3): 1 of 64 key slots in use (uuid \(disk.uuid))"))

        let before = try disk.bytes()
        let added = try Fixtures.run(
            PartitionOptionTests.keys,
            ["add", "--partition", "3", "--password-file", first, "--new-password-file", second, disk.path])
        #expect(added.status == 0, "\(Self.text(added.error))")
        #expect(Self.text(added.output) == "\(disk.path) (partition 3): added a password in key slot 1\n")
        let after = try disk.bytes()
        #expect(after != before)
        #expect(Self.sameOutside(disk.partitionStart..<disk.partitionEnd, before, after))
        let checked = try Fixtures.run(
            PartitionOptionTests.keys, ["list", "--check", "--uuid", disk.uuid, "--password-file", second, disk.path])
        #expect(Self.text(checked.output).contains("slot 1: in use, salt"))
        #expect(Self.text(checked.output).contains("opened by the given password"))
    }
}
