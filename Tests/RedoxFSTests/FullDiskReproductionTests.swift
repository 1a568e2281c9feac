import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSStress
import RedoxFSTestSupport
import Testing

/// The three reproductions of issue 10, over the engine's public API: a hole punched on a full
/// disk, a nested operation that fails after its inner operation could commit, and a full file
/// system emptied again. Each ends with the same checks: the space report is clean, and the open
/// file system equals a fresh open of its device.
@Suite struct FullDiskReproductionTests {
    static let record = 128 << 10

    /// The open file system's tree equals that of a fresh open of `device`, and both account
    /// for space cleanly.
    static func expectMatchesDisk(_ fs: FileSystem, _ device: MemoryDevice, _ context: String) throws {
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try RedoxFSStress.TreeListing.of(fs) == RedoxFSStress.TreeListing.of(reopened), "\(context): open tree differs from the disk")
        let report = try reopened.spaceReport()
        #expect(report.isClean, "\(context): \(report)")
        #expect(try fs.spaceReport().isClean, "\(context): working tree")
    }

    /// Fills `fs` with files of `chunk`-byte writes until ENOSPC; returns the files' names.
    static func fill(_ fs: FileSystem, chunk: Int, prefix: String) -> [String] {
        var names: [String] = []
        for i in 0..<100_000 {
            let name = "\(prefix)-\(i)"
            guard let id = try? fs.create(Array(name.utf8), in: 1, mode: 0o100644, uid: 0, gid: 0) else { break }
            names.append(name)
            if (try? fs.write(id, at: 0, [UInt8](repeating: UInt8(i % 250 + 1), count: chunk))) == nil { break }
        }
        return names
    }

    /// Issue 10, first reproduction: punching a hole on a full disk must not free live blocks.
    @Test func holePunchedOnAFullDisk() throws {
        let device = MemoryDevice(blockCount: 1024)
        let fs = try FileSystem.format(device: device)
        let id = try fs.create(Array("four".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let content = (0..<(4 * Self.record)).map { UInt8(truncatingIfNeeded: $0 / 4096 &* 31 &+ $0 % 251) }
        try fs.write(id, at: 0, content)
        try fs.sync()
        _ = Self.fill(fs, chunk: Self.record, prefix: "big")
        _ = Self.fill(fs, chunk: 4096, prefix: "small")
        try? fs.sync()
        var expected = content
        do {
            try fs.punchHole(id, at: UInt64(Self.record), length: UInt64(2 * Self.record + 100))
            for i in Self.record..<(3 * Self.record + 100) { expected[i] = 0 }
        } catch {
            #expect(error.errno == ENOSPC, "\(error)")
        }
        #expect(try fs.read(id, at: 0, count: content.count) == expected)
        try? fs.sync()
        try Self.expectMatchesDisk(fs, device, "after the hole punch")
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try reopened.read(id, at: 0, count: content.count) == expected)
    }

    /// Issue 10, second reproduction: `createSymlink` creates the node (which may commit), then
    /// writes the target; when the target does not fit, memory and disk must still agree.
    @Test func nestedOperationFailingAfterItsInnerOperation() throws {
        // Blocks left free: around the point where the create fits and the target does not,
        // without and with the engine's copy-on-write reserve (65 blocks at this size).
        for left in Array(0..<24) + Array(65..<89) {
            let device = MemoryDevice(blockCount: 1024)
            let fs = try FileSystem.format(device: device)
            fs.commitThresholdBytes = 1
            _ = try fs.create(Array("before".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
            try fs.sync()
            // Leave `left` free blocks: the others are taken in memory only (the log still frees them).
            var allocator = try fs.allocator()
            while allocator.freeBlocks > UInt64(left) { _ = allocator.allocate(level: 0) }
            fs.allocatorState = allocator
            let target = [UInt8](repeating: 0x74, count: 5000)
            do {
                _ = try fs.createSymlink(Array("link".utf8), in: 1, target: target, uid: 0, gid: 0)
            } catch {
                #expect(error.errno == ENOSPC, "\(error)")
            }
            try? fs.sync()
            try Self.expectMatchesDisk(fs, device, "\(left) blocks left")
            if let id = try fs.find(Array("link".utf8), in: 1) {
                #expect(try fs.readLink(id) == target, "\(left) blocks left: a symbolic link without its target")
            }
        }
    }

    /// Issue 10, third reproduction: a file system filled (committing after every operation, or
    /// with the default threshold) can be emptied back to its initial free count.
    @Test(arguments: [1, 32 << 20])
    func fullFileSystemIsEmptied(threshold: Int) throws {
        let device = MemoryDevice(blockCount: 1024)
        let fs = try FileSystem.format(device: device)
        let initial = try fs.statistics().freeBlocks
        fs.commitThresholdBytes = threshold
        let names = Self.fill(fs, chunk: Self.record, prefix: "big") + Self.fill(fs, chunk: 4096, prefix: "small")
        try? fs.sync()
        #expect(try fs.statistics().freeBlocks < 65 + 40, "the file system should be full")
        for name in names { try fs.unlink(Array(name.utf8), in: 1) }
        try fs.sync()
        try fs.commit(squash: true)
        #expect(try fs.statistics().freeBlocks == initial)
        try Self.expectMatchesDisk(fs, device, "emptied")
    }
}
