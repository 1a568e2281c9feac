#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// A repair's fixes leave room for its own commit, and a repair never writes a block that the
/// generation it replaces uses (so a crash or a refused commit leaves that generation whole).
@Suite struct RepairReserveTests {
    /// The "ar" fixture, every block its header uses (structures, content, allocation log), and
    /// the first block past the node tree, the allocation log and the root directory.
    static func fixture() throws -> (bytes: [UInt8], used: Set<UInt64>, vitalEnd: UInt64) {
        let path = try CheckFixtures.copy("ar")
        let usage = try FileSystem(path: path, readOnly: true).blockUsage()
        let vital = usage.users.filter { _, users in
            users.contains { use in
                switch use {
                case .treeList, .allocList, .node(RedoxFS.rootNodeID), .content(RedoxFS.rootNodeID): return true
                default: return false
                }
            }
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return (bytes, Set(usage.users.keys), (vital.keys.max() ?? 0) + 1)
    }

    /// Blocks of the image whose bytes differ (the header ring included: no block set compared
    /// with this names header slots).
    static func changedBlocks(_ before: [UInt8], _ after: [UInt8]) -> [UInt64] {
        let size = RedoxFS.blockSize
        let count = min(before.count, after.count) / size
        // memcmp, not ArraySlice's ==: in a debug build that compares byte by byte through
        // generic witnesses, and was 70% of the corruption corpus's time.
        return before.withUnsafeBytes { old in
            after.withUnsafeBytes { new in
                guard count > 0, let old = old.baseAddress, let new = new.baseAddress else { return [] }
                return (0..<count).compactMap { block in
                    memcmp(old + block * size, new + block * size, size) == 0 ? nil : UInt64(block)
                }
            }
        }
    }

    /// The image cut at each block count just past its vital structures: the data beyond is lost,
    /// only a handful of blocks are free below the cut, and the fixes (cut files, drop nodes,
    /// rebuild the root directory) compete with the commit's new allocation log for them. Every
    /// repair must commit (giving up fixes that do not fit, never the commit), and must not
    /// change a block the truncated generation still uses.
    @Test(.timeLimit(.minutes(10))) func truncatedRepairsCommitWithoutTouchingTheOldGeneration() throws {
        let (bytes, used, vitalEnd) = try Self.fixture()
        for cut in vitalEnd..<vitalEnd + 4 {
            let damaged = Array(bytes.prefix(Int(cut) * RedoxFS.blockSize))
            let device = MemoryDevice(bytes: damaged)
            let report = try FileSystemChecker.check(device: device, options: CheckOptions(repair: .all))
            #expect(report.exitStatus & FsckExitStatus.corrected != 0, "cut at \(cut): \(report.repairNote ?? "")")
            let touched = Self.changedBlocks(damaged, device.bytes).filter { used.contains($0) }
            #expect(touched.isEmpty, "cut at \(cut): the repair overwrote blocks of the old generation: \(touched.prefix(20))")
        }
    }
}

/// The engine side of the same rules, on a small image and a repair session given exactly `n`
/// free blocks: one fix (a new directory in the root, as `/lost+found` is made) then the commit.
@Suite struct RepairSessionReserveTests {
    struct Attempt {
        var fixed: Bool
        var commitError: FileSystemError?
        /// Blocks of the old generation whose bytes the attempt changed.
        var touched: [UInt64]
    }

    static let image: [UInt8] = {
        let device = MemoryDevice(blockCount: 2048)
        let fs = try! FileSystem.format(device: device)
        for i in 0..<40 {
            let file = try! fs.create(Array("file-\(i)".utf8), in: RedoxFS.rootNodeID, mode: 0x8000 | 0o644, uid: 0, gid: 0)
            _ = try! fs.write(file, at: 0, [UInt8](repeating: UInt8(i), count: 3000 + 97 * i))
        }
        try! fs.unmount()
        return device.bytes
    }()

    /// Sorted blocks as ranges of neighbours.
    static func ranges(_ blocks: [UInt64]) -> [Range<UInt64>] {
        var ranges: [Range<UInt64>] = []
        for block in blocks.sorted() {
            if let last = ranges.last, last.upperBound == block {
                ranges[ranges.count - 1] = last.lowerBound..<block + 1
            } else {
                ranges.append(block..<block + 1)
            }
        }
        return ranges
    }

    /// Runs the fix and the commit with `count` free blocks (the lowest ones the image does not
    /// use) and `reserve` held back for the commit (nil: the engine's own estimate). `freeAtCommit`
    /// overrides the free list handed to the commit (a caller's mistake, for the guard).
    static func attempt(free count: Int, reserve: UInt64?, freeAtCommit: [Range<UInt64>]? = nil) throws -> Attempt {
        let device = MemoryDevice(bytes: image)
        let plain = try FileSystem(device: device)
        let header = plain.header
        let used = Set(try plain.blockUsage().users.keys)
        let free = Array((RedoxFS.headerRing + 1..<header.blockCount).lazy.filter { !used.contains($0) }.prefix(count))
        let extents = ranges(free)
        let fs = FileSystem.openForRepair(
            device: device, header: header, startBlock: plain.startBlock, keys: nil, freeExtents: extents,
            writtenAfter: header.generation,
            commitReserve: reserve ?? FileSystem.repairCommitLogBlocks(free: extents, releasing: []))
        let fixed = (try? fs.create(Array("lost+found".utf8), in: RedoxFS.rootNodeID, mode: 0x4000 | 0o700, uid: 0, gid: 0)) != nil
        let newUse = Set(fs.repairUsedExtents().flatMap { $0 })
        var commitError: FileSystemError?
        do {
            try fs.repairCommit(
                free: freeAtCommit ?? ranges(free.filter { !newUse.contains($0) }),
                releasing: ranges(used.filter { !newUse.contains($0) && $0 > RedoxFS.headerRing }))
        } catch {
            commitError = error
        }
        let touched = RepairReserveTests.changedBlocks(image, device.bytes).filter { used.contains($0) }
        return Attempt(fixed: fixed, commitError: commitError, touched: touched)
    }

    /// The mechanism: with nothing held back, some amount of free space lets the fix take the
    /// last free block, and the commit then has none for its allocation log.
    @Test func withoutAReserveAFixCanStarveTheCommit() throws {
        let starved = try (1...24).filter { count in
            let attempt = try Self.attempt(free: count, reserve: 0)
            #expect(attempt.touched.isEmpty)
            return attempt.fixed && attempt.commitError?.errno == ENOSPC
        }
        #expect(!starved.isEmpty)
    }

    /// With the reserve, every amount of free space gives a commit (with the fix when it fits),
    /// and no attempt changes a block of the old generation.
    @Test func theReserveKeepsTheCommitPossible() throws {
        var fixedAtLeastOnce = false
        for count in 1...24 {
            let attempt = try Self.attempt(free: count, reserve: nil)
            #expect(attempt.commitError == nil, "\(count) free blocks: \(String(describing: attempt.commitError))")
            #expect(attempt.touched.isEmpty, "\(count) free blocks: \(attempt.touched)")
            fixedAtLeastOnce = fixedAtLeastOnce || attempt.fixed
        }
        #expect(fixedAtLeastOnce)
    }

    /// A commit handed a free list that overlaps the old generation (a caller's mistake) is
    /// refused before anything is written.
    @Test func aCommitOutsideTheWritableBlocksIsRefused() throws {
        let plain = try FileSystem(device: MemoryDevice(bytes: Self.image))
        let used = try plain.blockUsage().users.keys.filter { $0 > RedoxFS.headerRing }
        let attempt = try Self.attempt(free: 20, reserve: nil, freeAtCommit: Self.ranges(Array(used)))
        guard case .invalidArgument(let message)? = attempt.commitError else {
            Issue.record("expected the commit to be refused, got \(String(describing: attempt.commitError))")
            return
        }
        #expect(message.contains("overwrite"))
        #expect(attempt.touched.isEmpty)
    }
}
