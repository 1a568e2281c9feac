import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing
import RedoxFSTestSupport

/// The checker never crashes or hangs, whatever the image: random garbage in structures whose
/// hashes are made valid again (so that every decoder sees it), pointers that share and loop,
/// absurd header fields, and files that are no file system at all. Repairs of such images either
/// commit or fail cleanly.
@Suite struct HostileImageTests {
    /// A small image with every kind of structure: directories with an index, records, an
    /// indirect list, inline files, a symlink.
    static let base: [UInt8] = {
        guard let path = try? CheckFixtures.emptyImage(bytes: 8 << 20, name: "hostile"),
              let device = try? FileDevice.open(path: path, readOnly: false),
              let fs = try? FileSystem.format(device: device) else { return [] }
        do {
            let big = try fs.create(Array("big".utf8), in: RedoxFS.rootNodeID, mode: 0x4000 | 0o755, uid: 0, gid: 0)
            for i in 0..<400 {
                let name = Array("entry-with-a-long-name-\(i)-\(String(repeating: "x", count: 60))".utf8)
                let file = try fs.create(name, in: big, mode: 0x8000 | 0o644, uid: 0, gid: 0)
                if i % 50 == 0 { _ = try fs.write(file, at: 0, [UInt8](repeating: UInt8(i % 251), count: 9000 + i)) }
            }
            let data = try fs.create(Array("data".utf8), in: RedoxFS.rootNodeID, mode: 0x8000 | 0o644, uid: 0, gid: 0)
            _ = try fs.write(data, at: 0, (0..<(17 << 20) / 8).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
            _ = try fs.createSymlink(Array("link".utf8), in: RedoxFS.rootNodeID, target: Array("data".utf8), uid: 0, gid: 0)
            try fs.unmount()
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            return []
        }
    }()

    static func write(_ bytes: [UInt8]) throws -> String {
        let path = try CheckFixtures.emptyImage(bytes: 0, name: "hostile")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Checks, repairs and checks again; nothing may crash, the reports must be coherent.
    static func survive(_ path: String) throws {
        let first = try? CheckFixtures.check(path)
        if let first { #expect(first.exitStatus == 0 || first.exitStatus == 4) }
        _ = try? CheckFixtures.check(path, repair: .all)
        let after = try? CheckFixtures.check(path)
        if first != nil { #expect(after != nil) }
    }

    @Test(.timeLimit(.minutes(10)), arguments: 0..<24 as Range<UInt64>)
    func garbageWithValidHashes(seed: UInt64) throws {
        #expect(!Self.base.isEmpty)
        let path = try Self.write(Self.base)
        var random = SplitMix64(state: seed &* 7919 &+ 1)
        var surgeon = try ImageSurgeon(path: path)
        let ids = try FileSystem(path: path).entries(of: RedoxFS.rootNodeID).map(\.nodeID) + [RedoxFS.rootNodeID]
        let id = ids[Int(random.next() % UInt64(ids.count))]
        // Scribble over bytes of a node, of one of its blocks, of a tree list or of the log.
        func scribble(_ bytes: inout [UInt8], _ range: Range<Int>) {
            for _ in 0..<(1 + random.next() % 24) {
                let at = range.lowerBound + Int(random.next() % UInt64(range.count))
                bytes[at] = random.next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: random.next())
            }
        }
        switch seed % 4 {
        case 0:
            try surgeon.rewriteNode(id) { node in
                var bytes = node.encode()
                scribble(&bytes, 0..<200)
                node = Node(block: bytes)
            }
        case 1:
            let node = try surgeon.node(id)
            if node.hasInlineData || node.levelPointer(1).isNull {
                try surgeon.rewriteNode(id) { $0.setLevelPointer(Int(random.next() % 4), BlockPointer(address: BlockAddress(rawValue: random.next()), hash: random.next())) }
            } else {
                try surgeon.rewriteBlock(ofNode: id, slot: 1) { scribble(&$0, 0..<$0.count) }
            }
        case 2:
            let list = try surgeon.treePath(id)[Int(random.next() % 4)]
            var bytes = try surgeon.read(list.block)
            scribble(&bytes, 0..<RedoxFS.blockSize)
            let hash = try surgeon.write(list.block, bytes)
            // Re-hash from this list up: find its parent entry by walking the path again.
            let path = try surgeon.treePath(id)
            if let position = path.firstIndex(where: { $0.block == list.block }) {
                var child = hash
                for step in path[..<position].reversed() {
                    var parent = TreeList(block: try surgeon.read(step.block))
                    parent.pointers[step.entry].hash = child
                    child = try surgeon.write(step.block, parent.encode())
                }
                try surgeon.rewriteHeader { $0.tree.hash = child }
            }
        default:
            try surgeon.rewriteAllocationLog { log in
                for _ in 0..<(1 + random.next() % 8) {
                    log.entries.append(AllocEntry(index: random.next() % 4096, count: Int64(bitPattern: random.next()) % 5000))
                }
            }
        }
        surgeon.close()
        try Self.survive(path)
    }

    /// Every pointer of the root tree list names the same list: the walk must not multiply. The
    /// bound is on blocks read; the time limit is only a hang guard for a loaded machine.
    @Test(.timeLimit(.minutes(10))) func sharedTreeLists() throws {
        let path = try Self.write(Self.base)
        var surgeon = try ImageSurgeon(path: path)
        let root = surgeon.header.tree.address.index
        var list = TreeList(block: try surgeon.read(root))
        for i in 0..<TreeList.entryCount {
            list.pointers[i] = list.pointers[0]
            list.setFlag(i, false)
        }
        let hash = try surgeon.write(root, list.encode())
        try surgeon.rewriteHeader { $0.tree.hash = hash }
        surgeon.close()
        let report = try CheckFixtures.check(path)
        #expect(report.problems.contains { $0.code == .blockUsedTwice })
        #expect(report.statistics.blocksRead < 10_000)
        try Self.survive(path)
    }

    /// Every record pointer of a file names the same 128 KiB record.
    @Test(.timeLimit(.minutes(10))) func sharedRecords() throws {
        let path = try Self.write(Self.base)
        var surgeon = try ImageSurgeon(path: path)
        let data = try surgeon.id(of: "/data")
        try surgeon.rewriteNode(data) { node in
            let first = node.levelPointer(0)
            for slot in 0..<128 { node.setLevelPointer(slot, first) }
        }
        surgeon.close()
        let report = try CheckFixtures.check(path)
        #expect(report.problems.contains { $0.code == .blockUsedTwice })
        // Work is bounded by what it counts: the shared record is read once, not 128 times.
        #expect(report.statistics.blocksRead < 10_000)
        try Self.survive(path)
    }

    /// Absurd header fields, re-sealed so that the header stays valid.
    @Test(arguments: [0, 1, 2, 3, 4])
    func absurdHeader(variant: Int) throws {
        let path = try Self.write(Self.base)
        var surgeon = try ImageSurgeon(path: path)
        try surgeon.rewriteHeader { header in
            switch variant {
            case 0: header.size = UInt64.max
            case 1: header.size = 4096 * 10
            case 2: header.tree = BlockPointer(address: BlockAddress(index: 3, level: 0), hash: 1)
            case 3: header.alloc = BlockPointer(address: BlockAddress(index: 1 << 50, level: 9), hash: 1)
            default: header.release = header.tree
            }
        }
        surgeon.close()
        let report = try CheckFixtures.check(path)
        #expect(report.errors > 0)
        try Self.survive(path)
    }

    /// Not a file system: operational errors, never a crash.
    @Test func notAFileSystem() throws {
        var random = SplitMix64(state: 99)
        for bytes in [[UInt8](), [UInt8](repeating: 0, count: 1 << 20), (0..<(1 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }] {
            let path = try Self.write(bytes)
            #expect(throws: CheckError.noFileSystem) { try CheckFixtures.check(path) }
        }
        // A lone valid header and nothing else.
        let path = try Self.write(Array(Self.base[0..<(4 * 4096)]))
        let report = try CheckFixtures.check(path)
        #expect(report.problems.contains { $0.code == .fileSystemTruncated })
    }
}
