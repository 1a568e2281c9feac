import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// A repair is one copy-on-write commit: cut the power at any point of it and the image is either
/// exactly as damaged as before (same header, same problems) or fully repaired.
@Suite struct RepairCrashTests {
    /// A small damaged image: a directory block flipped (its entries become orphans), a wrong link
    /// count, a leaked block.
    static func damagedImage() throws -> [UInt8] {
        let path = try CheckFixtures.emptyImage(bytes: 4 << 20, name: "small")
        let fs = try FileSystem.format(device: try FileDevice.open(path: path, readOnly: false))
        let folder = try fs.create(Array("folder".utf8), in: RedoxFS.rootNodeID, mode: 0x4000 | 0o755, uid: 0, gid: 0)
        for i in 0..<30 {
            let file = try fs.create(Array("file-\(i)".utf8), in: folder, mode: 0x8000 | 0o644, uid: 0, gid: 0)
            _ = try fs.write(file, at: 0, [UInt8](repeating: UInt8(i), count: 5000 + i))
        }
        let lone = try fs.create(Array("lone".utf8), in: RedoxFS.rootNodeID, mode: 0x8000 | 0o644, uid: 0, gid: 0)
        _ = try fs.write(lone, at: 0, Array("lone file".utf8))
        // The damage below lies in this commit's blocks, not in the unmount's newest commit (the
        // open-time check would take damage to the newest commit's own blocks for a torn commit).
        try fs.sync()
        try fs.unmount()

        var surgeon = try ImageSurgeon(path: path)
        try surgeon.flipBit(block: try surgeon.node(folder).levelPointer(1).address.index, byte: 12)
        try surgeon.rewriteNode(lone) { $0.links = 2 }
        let last = surgeon.header.blockCount - 1
        try surgeon.rewriteAllocationLog { $0.entries.append(AllocEntry(index: last, count: -1)) }
        surgeon.close()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func check(_ bytes: [UInt8]) throws -> CheckReport {
        try FileSystemChecker.check(device: MemoryDevice(bytes: bytes))
    }

    @Test(.timeLimit(.minutes(10))) func everyCutPointLeavesTheOldOrTheRepairedFileSystem() throws {
        let damaged = try Self.damagedImage()
        let before = try Self.check(damaged)
        #expect(before.errors > 0)
        let expectedCodes = Set(before.problems.map(\.code))
        #expect(expectedCodes.isSuperset(of: [.checksumMismatch, .orphanNode, .linkCount, .blockLeaked]))

        let recording = RecordingDevice(recordingOver: MemoryDevice(bytes: damaged))
        let repaired = try FileSystemChecker.check(device: recording, options: CheckOptions(repair: .all))
        #expect(repaired.exitStatus == FsckExitStatus.corrected, "\(repaired.repairNote ?? "")")
        #expect(recording.events.contains { if case .flush = $0 { return true } else { return false } })

        var old = 0, new = 0
        for cut in 0...recording.events.count {
            // Of the writes not yet flushed, none, all, or every other one reached the disk.
            for keep in [{ (_: Int) in false }, { (_: Int) in true }, { (position: Int) in position % 2 == 0 }] {
                let image = recording.crashImage(cut: cut, keep: keep)
                let report = try Self.check(image)
                if report.generation == before.generation {
                    #expect(report.errors == before.errors, "cut \(cut): \(report.problems.map(\.message))")
                    #expect(Set(report.problems.map(\.code)) == expectedCodes, "cut \(cut)")
                    old += 1
                } else {
                    #expect(report.generation == before.generation + 1)
                    #expect(report.errors == 0, "cut \(cut): \(report.problems.map(\.message))")
                    new += 1
                }
            }
        }
        #expect(old > 0 && new > 0)
    }

    /// A repair that fails before its commit (the device refuses the first write) leaves every byte.
    @Test func failedRepairWritesNothing() throws {
        let damaged = try Self.damagedImage()
        var device = RecordingDevice(recordingOver: MemoryDevice(bytes: damaged))
        device.failAfterEvents = 0
        #expect(throws: CheckError.self) {
            _ = try FileSystemChecker.check(device: device, options: CheckOptions(repair: .all))
        }
        #expect(device.memory.bytes == damaged)
    }
}
