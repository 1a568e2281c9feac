import Foundation
import RedoxFSTestSupport
import Testing

/// Which region `--uuid` opens for a file system the header scan finds in a whole disk's first
/// 2 MiB, on images whose MBR partition tables the tests write: the smallest partition the ring
/// lies in when the file system fits in it (a logical partition, not its extended container), and
/// the whole file when the ring lies in no partition or a stray entry covers only its start, and
/// the partition still when the file system runs from it into another (its error names the
/// partition, and the offset in it).
@Suite struct PartitionUUIDChoiceTests {
    typealias Options = PartitionOptionTests

    static func text(_ data: Data) -> String { PartitionOptionTests.text(data) }

    /// A scratch folder, removed by `remove()`.
    struct Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("uuid-choice-\(UUID().uuidString)")

        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

        func path(_ name: String) -> String { url.appendingPathComponent(name).path }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    /// `sector` with the MBR entries `entries` (type, first sector, sector count), in slots 1–4,
    /// and the boot signature.
    static func writeTable(_ entries: [(type: UInt8, start: UInt32, count: UInt32)], into sector: inout Data, at offset: Int = 0) {
        for (index, entry) in entries.enumerated() {
            let base = offset + 446 + 16 * index
            sector[base + 4] = entry.type
            for byte in 0..<4 {
                sector[base + 8 + byte] = UInt8(truncatingIfNeeded: entry.start >> (8 * byte))
                sector[base + 12 + byte] = UInt8(truncatingIfNeeded: entry.count >> (8 * byte))
            }
        }
        sector[offset + 510] = 0x55
        sector[offset + 511] = 0xAA
    }

    /// Writes a disk of `size` bytes to `disk.img` in `folder`: zeros, the MBR `entries` (and
    /// `extended`, an EBR's entries at a byte offset), and `volume` at byte `volumeAt`; returns
    /// its path and bytes.
    static func disk(
        in folder: Folder, size: Int, entries: [(type: UInt8, start: UInt32, count: UInt32)],
        extended: (offset: Int, entries: [(type: UInt8, start: UInt32, count: UInt32)])? = nil,
        volume: Data, at volumeAt: Int
    ) throws -> (path: String, bytes: Data) {
        var disk = Data(count: size)
        writeTable(entries, into: &disk)
        if let extended { writeTable(extended.entries, into: &disk, at: extended.offset) }
        disk.replaceSubrange(volumeAt..<(volumeAt + volume.count), with: volume)
        let path = folder.path("disk.img")
        try disk.write(to: URL(fileURLWithPath: path))
        return (path, disk)
    }

    /// A plain image made by `redoxfs-mkfs --size 8MiB` with 1 MiB of boot code whose MBR has
    /// `entries`; returns its path and the file system's uuid.
    static func plainImage(in folder: Folder, entries: [(type: UInt8, start: UInt32, count: UInt32)]) throws -> (String, String) {
        var boot = Data(count: 1 << 20)
        writeTable(entries, into: &boot)
        let bootPath = folder.path("boot.bin")
        try boot.write(to: URL(fileURLWithPath: bootPath))
        let image = folder.path("plain.img")
        let made = try Fixtures.run(Fixtures.tool("redoxfs-mkfs"), ["--size", "8MiB", image, bootPath])
        guard made.status == 0 else { throw Fixtures.FixtureError.commandFailed(Self.text(made.error)) }
        return (image, try Options.InstalledDisk.uuid(of: image, encryption: []))
    }

    /// A file system of 2 MiB holding one file, made by redoxfs-ar; returns its bytes and uuid.
    static func volume(in folder: Folder) throws -> (Data, String) {
        let tree = folder.url.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try Data("logical\n".utf8).write(to: tree.appendingPathComponent("a.txt"))
        let volume = folder.path("volume.img")
        try Options.InstalledDisk.make(["--size", "2MiB", volume, tree.path])
        return (try Data(contentsOf: URL(fileURLWithPath: volume)), try Options.InstalledDisk.uuid(of: volume, encryption: []))
    }

    static func fsck(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let run = try Fixtures.run(Options.fsck, ["-n"] + arguments)
        return (run.status, Self.text(run.output) + Self.text(run.error))
    }

    @Test func ringInNoPartitionOpensTheWholeFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        // One partition, before the file system's ring at 1 MiB.
        let (image, uuid) = try Self.plainImage(in: folder, entries: [(0x83, 64, 1024)])
        let checked = try Self.fsck(["--uuid", uuid, image])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("\(image): clean"))
        #expect(!checked.output.contains("partition"))
    }

    @Test func strayEntryCoveringTheRingOfAPlainImageOpensTheWholeFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        // The entry covers the ring (1 MiB, 1 MiB long); the file system runs on to 8 MiB.
        let (image, uuid) = try Self.plainImage(in: folder, entries: [(0x83, 2048, 2048)])
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        let checked = try Self.fsck(["--uuid", uuid, image])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("\(image): clean"))
        #expect(!checked.output.contains("partition"))
        let dumped = try Fixtures.run(Options.dump, ["--uuid", uuid, image])
        #expect(dumped.status == 0, "\(Self.text(dumped.error))")
        #expect(Self.text(dumped.output).contains("fs_size \(7 << 20) "))
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == before)
    }

    @Test func logicalPartitionIsNamedNotItsExtendedContainer() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let (volume, uuid) = try Self.volume(in: folder)
        // Extended partition 1 from 1 MiB (6 MiB); its EBR there names logical partition 5,
        // 8 sectors on (3 MiB), which holds the file system: its ring lies in the first 2 MiB.
        let logicalStart = (1 << 20) + 4096
        let logicalEnd = logicalStart + (3 << 20)
        let (path, disk) = try Self.disk(
            in: folder, size: 8 << 20, entries: [(0x05, 2048, 12288)],
            extended: (1 << 20, [(0x83, 8, 6144)]), volume: volume, at: logicalStart)

        let checked = try Self.fsck(["--uuid", uuid, path])
        #expect(checked.status == 0, "\(checked.output)")
        #expect(checked.output.contains("\(path) (partition 5): clean"))

        // max: the file system grows to the logical partition's end, and nothing else changes.
        let grown = try Fixtures.run(Options.resize, ["--uuid", uuid, path])
        #expect(grown.status == 0, "\(Self.text(grown.error))")
        #expect(Self.text(grown.output).contains("resized filesystem on \(path) (partition 5)"))
        #expect(PartitionEdgeTests.sameOutside(logicalStart..<logicalEnd, disk, try Data(contentsOf: URL(fileURLWithPath: path))))
        let dumped = try Fixtures.run(Options.dump, ["--partition", "5", path])
        #expect(Self.text(dumped.output).contains("fs_size \(3 << 20) "))
    }

    @Test func fileSystemOverflowingItsPartitionIntoTheNextIsThatPartitions() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let (volume, uuid) = try Self.volume(in: folder)
        // The 2 MiB file system at 1 MiB, in partition 1 (1 MiB long), runs into partition 2:
        // the whole file would fit it, but it is partition 1's, larger than that partition.
        let (path, disk) = try Self.disk(
            in: folder, size: 6 << 20, entries: [(0x83, 2048, 2048), (0x83, 4096, 4096)], volume: volume, at: 1 << 20)

        let dumped = try Fixtures.run(Options.dump, ["--uuid", uuid, path])
        #expect(dumped.status == 1)
        #expect(Self.text(dumped.error).hasPrefix("redoxfs-dump: \(path) (partition 1): the file system (\(2 << 20) bytes)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == disk)
    }

    @Test func offsetWithUUIDCountsFromThePartitionStart() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let (volume, uuid) = try Self.volume(in: folder)
        // Partition 1 from 1 MiB (3 MiB long) holds the file system 1 MiB in: at 2 MiB of the
        // disk, past the whole disk's scan, so --uuid finds it in partition 1.
        let (path, _) = try Self.disk(in: folder, size: 5 << 20, entries: [(0x83, 2048, 6144)], volume: volume, at: 2 << 20)

        let inside = try Self.fsck(["--uuid", uuid, "--offset", String(1 << 20), path])
        #expect(inside.status == 0, "\(inside.output)")
        #expect(inside.output.contains("\(path) (partition 1): clean"))
        // 2 MiB from the partition's start is 3 MiB of the disk, inside the file system: no
        // header there (2 MiB of the disk would be the file system's start).
        let past = try Self.fsck(["--uuid", uuid, "--offset", String(2 << 20), path])
        #expect(past.status != 0, "\(past.output)")
        #expect(!past.output.contains("clean"))
    }

    @Test func fileSystemLargerThanTheRestOfItsPartitionNamesTheOffset() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let (volume, _) = try Self.volume(in: folder)
        // Partition 1 from 1 MiB (2 MiB long); the 2 MiB file system 1 MiB into it.
        let (path, _) = try Self.disk(in: folder, size: 5 << 20, entries: [(0x83, 2048, 4096)], volume: volume, at: 2 << 20)

        let dumped = try Fixtures.run(Options.dump, ["--partition", "1", "--offset", String(1 << 20), path])
        #expect(dumped.status == 1)
        #expect(Self.text(dumped.error) == "redoxfs-dump: \(path) (partition 1): the file system (\(2 << 20) bytes) is "
            + "larger than the \(1 << 20) bytes from offset \(1 << 20) of the partition: fix the partition table, "
            + "or redoxfs-fsck -y shrinks it to fit\n")
    }
}
