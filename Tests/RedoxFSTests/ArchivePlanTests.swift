import Foundation
import Glibc
@testable import RedoxFS
import RedoxFSFormat
import RedoxFSTools
import Testing

/// The archive's single walk (the scanner's plan) and the image file's gathered writes.
@Suite struct ArchivePlanTests {
    /// The plan holds every entry the summary counts, and archiving from it gives the same image
    /// content as archiving from the folder listed again.
    @Test func archivingFromThePlanMatchesListingAgain() throws {
        let root = try ArchiveToolTests.tree.get()
        var scanner = HostTreeScanner()
        let plan = try scanner.plan(root)
        func count(_ entries: [PlannedEntry]) -> Int { entries.reduce(0) { $0 + 1 + count($1.children) } }
        #expect(count(plan.entries) == plan.summary.entries)
        #expect(plan.summary == (try scanner.scan(root)))

        var listings: [[String: ListedPath]] = []
        for usePlan in [true, false] {
            let fs = try FileSystem.format(device: MemoryDevice(blockCount: 96 << 8))
            let archiver = Archiver(fileSystem: fs)
            try archiver.archive(root, plan: usePlan ? plan : nil)
            #expect(archiver.copied.entries == plan.summary.entries)
            try fs.sync()
            listings.append(try TreeListing.image(fs))
        }
        let differences = TreeListing.differences(expected: listings[1], actual: listings[0])
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        let host = TreeListing.differences(expected: try TreeListing.host(root), actual: listings[0])
        #expect(host.isEmpty, "\(host.joined(separator: "\n"))")
    }

    /// The same tree gives the same image bytes run to run (fixed uuid and clock), with many
    /// overlapped commits and the read-ahead thread running, and the image is clean.
    @Test func archivingIsReproducible() throws {
        // A tree of its own: ar copies atimes, so the shared tree, which other tests read and
        // change at the same time, would not stay the same source between runs.
        let folder = ArchiveToolTests.scratch("reproducible")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let root = folder + "/tree"
        try HostTestTree.generate(at: root)
        var images: [[UInt8]] = []
        // Three runs, the last two compared: the first read of a source file may move its atime
        // (relatime, when the tree's atime is older than its mtime or a day old), so only runs
        // after a first read see the same source.
        for run in 0..<3 {
            var scanner = HostTreeScanner()
            let plan = try scanner.plan(root)
            let device = MemoryDevice(blockCount: 96 << 8)
            let fs = try FileSystem.format(device: device, options: FormatOptions(
                uuid: [UInt8](repeating: 5, count: 16), time: Timestamp(seconds: 1_700_000_000, nanoseconds: 0)))
            fs.clock = { Timestamp(seconds: 1_700_000_001, nanoseconds: 0) }
            let archiver = Archiver(fileSystem: fs)
            archiver.commitThresholdBytes = 16 << 10
            try archiver.archive(root, plan: plan)
            #expect(!fs.hasPendingHeader)
            #expect(try fs.spaceReport().isClean)
            try fs.unmount()
            if run > 0 { images.append(device.bytes) }
        }
        let blockSize = RedoxFS.blockSize
        let differing = (0..<(images[0].count / blockSize)).filter { block in
            images[0][(block * blockSize)..<((block + 1) * blockSize)] != images[1][(block * blockSize)..<((block + 1) * blockSize)]
        }
        #expect(images[0].count == images[1].count)
        #expect(differing.isEmpty == true, "blocks that differ between the two runs: \(differing.prefix(40)) (\(differing.count) in all)")
        let reopened = try FileSystem(device: MemoryDevice(bytes: images[0]))
        let differences = TreeListing.differences(expected: try TreeListing.host(root), actual: try TreeListing.image(reopened))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    /// A file device writes a gathered run exactly as the same buffers written one by one, at
    /// an offset (a partition), and refuses a run past its end without writing.
    @Test func gatheredWritesLandLikeSingleWrites() throws {
        let folder = ArchiveToolTests.scratch("gather")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let blocks = 64
        var images: [[UInt8]] = []
        let buffers: [[UInt8]] = (0..<40).map { n in
            [UInt8](repeating: UInt8(n + 1), count: RedoxFS.blockSize * (n % 3 + 1))
        }
        for gathered in [true, false] {
            let path = folder + "/\(gathered).img"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(count: (blocks + 2) * RedoxFS.blockSize)))
            var device = try FileDevice.open(path: path, readOnly: false, byteOffset: 2 * UInt64(RedoxFS.blockSize))
            defer { device.close() }
            let run = Array(buffers[0..<20])  // 40 blocks from block 3
            if gathered {
                try device.writeBlocks(at: 3, gathering: run)
            } else {
                var index: UInt64 = 3
                for buffer in run {
                    try buffer.withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: index, from: raw) }
                    index += UInt64(buffer.count / RedoxFS.blockSize)
                }
            }
            #expect(throws: FormatError.self) { try device.writeBlocks(at: 60, gathering: Array(buffers[0..<4])) }
            images.append(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        let blockSize = RedoxFS.blockSize
        let differing = (0..<(images[0].count / blockSize)).filter { block in
            images[0][(block * blockSize)..<((block + 1) * blockSize)] != images[1][(block * blockSize)..<((block + 1) * blockSize)]
        }
        #expect(images[0].count == images[1].count)
        #expect(differing.isEmpty == true, "blocks that differ between the two runs: \(differing.prefix(40)) (\(differing.count) in all)")
        #expect(images[0][(2 + 3) * RedoxFS.blockSize] == 1)
        #expect(images[0][(2 + 60) * RedoxFS.blockSize] == 0, "a refused run wrote nothing")
    }

    /// Commits through the batch: an image written and reopened reads back what was written.
    @Test func commitsThroughGatheredWritesReadBack() throws {
        let folder = ArchiveToolTests.scratch("commit")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/fs.img"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 32 << 20) == 0)
        let device = try FileDevice.open(path: path, readOnly: false)
        let fs = try FileSystem.format(device: device)
        var expected: [String: [UInt8]] = [:]
        for n in 0..<300 {
            let content = (0..<(n * 397 % 20_000)).map { UInt8(truncatingIfNeeded: $0 &* n) }
            let id = try fs.create(Array("f\(n)".utf8), in: RedoxFS.rootNodeID, mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0)
            _ = try fs.write(id, at: 0, content)
            expected["/f\(n)"] = content
        }
        try fs.unmount()
        let reopened = try FileSystem(path: path, readOnly: true)
        defer { reopened.close() }
        for (name, content) in expected {
            let id = try reopened.lookup(name)
            #expect(try reopened.read(id, at: 0, count: content.count + 1) == content, "\(name)")
        }
    }
}
