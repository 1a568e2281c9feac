import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// The engine's write path on in-memory devices: every operation, reopened from the bytes.
@Suite struct WritePathTests {
    static func fresh(blocks: UInt64 = 16384, password: [UInt8]? = nil) throws -> (MemoryDevice, FileSystem) {
        let device = MemoryDevice(blockCount: blocks)
        let fs = try FileSystem.format(device: device, options: FormatOptions(password: password))
        return (device, fs)
    }

    static func reopen(_ device: MemoryDevice, password: [UInt8]? = nil) throws -> FileSystem {
        try FileSystem(device: device, password: password, writable: true)
    }

    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    @Test(arguments: [0, 1, 3967, 3968, 4095, 4096, 4097, 131071, 131072, 131073, 5 << 20])
    func fileRoundTrip(size: Int) throws {
        let (device, fs) = try Self.fresh()
        let id = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 7, gid: 8)
        let data = Self.pattern(size, seed: UInt64(size))
        try fs.write(id, at: 0, data)
        try fs.sync()
        let again = try Self.reopen(device)
        let node = try again.node(again.lookup("/f"))
        #expect(node.size == UInt64(size))
        #expect(node.hasInlineData == (size < 3968))
        #expect(try again.read(id, at: 0, count: size + 10) == data)
        try SpaceInvariant.check(again)
    }

    @Test func compressibleRecordsAreCompressed() throws {
        let (device, fs) = try Self.fresh()
        let id = try fs.create(Array("text".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let line = Array("the quick brown fox jumps over the lazy dog\n".utf8)
        let data = Array((0..<30000).flatMap { _ in line }.prefix(1 << 20))
        try fs.write(id, at: 0, data)
        try fs.sync()
        let node = try Self.reopen(device).node(id)
        #expect(node.blocks < 20, "1 MiB of text should compress well, got \(node.blocks) blocks")
        #expect(node.levelPointer(0).address.decompressionLevel == 5)
        #expect(try Self.reopen(device).read(id, at: 0, count: data.count) == data)
    }

    @Test func sparseWritesStaySparse() throws {
        let (device, fs) = try Self.fresh()
        let id = try fs.create(Array("sparse".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.write(id, at: 0, [UInt8](repeating: 0, count: 1 << 20))
        try fs.write(id, at: 40 << 20, Array("end".utf8))
        try fs.sync()
        let node = try Self.reopen(device).node(id)
        #expect(node.size == (40 << 20) + 3)
        #expect(node.blocks == 3, "node, one BlockList, one record")
        #expect(try Self.reopen(device).read(id, at: (40 << 20) - 2, count: 10) == [0, 0] + Array("end".utf8))
    }

    @Test func truncateDownThenUpReadsZeros() throws {
        let (device, fs) = try Self.fresh()
        for (name, size) in [("inline", 3000), ("records", 300_000)] {
            let id = try fs.create(Array(name.utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
            let data = Self.pattern(size, seed: 3)
            try fs.write(id, at: 0, data)
            try fs.truncate(id, to: 100)
            try fs.truncate(id, to: UInt64(size))
            let back = try fs.read(id, at: 0, count: size)
            #expect(Array(back[0..<100]) == Array(data[0..<100]))
            #expect(back[100...].allSatisfy { $0 == 0 }, "\(name): stale bytes came back after shrink and grow")
        }
        try fs.sync()
        try SpaceInvariant.check(Self.reopen(device))
    }

    @Test func deletingFreesEverything() throws {
        let (device, fs) = try Self.fresh()
        let before = try fs.statistics().freeBlocks
        let id = try fs.create(Array("big".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.write(id, at: 0, Self.pattern(20 << 20, seed: 9))
        try fs.write(id, at: 5000, Self.pattern(5000, seed: 10))
        try fs.truncate(id, to: 17 << 20 + 5)
        try fs.unlink(Array("big".utf8), in: 1)
        try fs.sync()
        let fs2 = try Self.reopen(device)
        try fs2.cleanup()
        #expect(try fs2.statistics().freeBlocks >= before - 2)
        try SpaceInvariant.check(fs2)
    }

    @Test func directoriesGrowAndShrinkTheirHashTree() throws {
        let (device, fs) = try Self.fresh(blocks: 32768)
        let dir = try fs.create(Array("d".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        let names = (0..<6000).map { i in Array(String(format: "%@-%05d", String(repeating: "n", count: 240), i).utf8) }
        for name in names { _ = try fs.create(name, in: dir, mode: 0o100644, uid: 0, gid: 0) }
        try fs.sync()
        var node = try fs.node(dir)
        #expect(node.levelPointer(0).markerDepth == 2)
        for name in names.shuffled() { #expect(try fs.find(name, in: dir) != nil) }
        #expect(try fs.entries(of: dir).count == 6000)
        for (i, name) in names.enumerated() where i % 3 != 0 { try fs.unlink(name, in: dir) }
        try fs.sync()
        let fs2 = try Self.reopen(device)
        #expect(try fs2.entries(of: dir).count == 2000)
        for (i, name) in names.enumerated() { #expect((try fs2.find(name, in: dir) != nil) == (i % 3 == 0)) }
        for (i, name) in names.enumerated() where i % 3 == 0 { try fs2.unlink(name, in: dir) }
        node = try fs2.node(dir)
        #expect(node.size == 0 && node.levelPointer(0).isZero)
        try fs2.removeDirectory(Array("d".utf8), in: 1)
        try fs2.sync()
        try SpaceInvariant.check(try Self.reopen(device))
    }

    @Test func namespaceOperations() throws {
        let (device, fs) = try Self.fresh()
        let a = try fs.create(Array("a".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        let b = try fs.create(Array("b".utf8), in: a, mode: 0o040700, uid: 5, gid: 6)
        let f = try fs.create(Array("f".utf8), in: b, mode: 0o104755, uid: 0, gid: 0)
        try fs.write(f, at: 0, Array("hello".utf8))
        try fs.link(f, as: Array("g".utf8), in: 1)
        #expect(try fs.node(f).links == 2)
        _ = try fs.createSymlink(Array("s".utf8), in: 1, target: Array("a/b/f".utf8), uid: 0, gid: 0)
        #expect(throws: FileSystemError.self) { try fs.removeDirectory(Array("a".utf8), in: 1) }
        #expect(throws: FileSystemError.self) { try fs.unlink(Array("a".utf8), in: 1) }
        #expect(throws: FileSystemError.self) { try fs.rename(Array("a".utf8), in: 1, to: Array("x".utf8), in: b) }
        #expect(throws: FileSystemError.self) { _ = try fs.create(Array("g".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0) }
        #expect(throws: FileSystemError.self) { _ = try fs.create(Array("bad/name".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0) }
        try fs.rename(Array("g".utf8), in: 1, to: Array("h".utf8), in: a)
        try fs.rename(Array("s".utf8), in: 1, to: Array("h".utf8), in: a)  // replaces the hard link
        #expect(try fs.node(f).links == 1)
        try fs.rename(Array("b".utf8), in: a, to: Array("b2".utf8), in: 1)
        try fs.setAttributes(f, AttributeChanges(permissions: 0o4750, uid: 1000, gid: 100,
            modificationTime: Timestamp(seconds: 1234, nanoseconds: 5)))
        try fs.sync()
        let again = try Self.reopen(device)
        let node = try again.node(again.lookup("/b2/f"))
        #expect(node.permissions == 0o4750 && node.uid == 1000 && node.gid == 100 && node.mtime == 1234)
        #expect(try again.readLink(again.lookup("/a/h")) == Array("a/b/f".utf8))
        #expect(try again.read(again.lookup("/b2/f"), at: 0, count: 100) == Array("hello".utf8))
        try SpaceInvariant.check(again)
    }

    @Test func unlinkedOpenFileLivesUntilClosed() throws {
        let (device, fs) = try Self.fresh()
        let id = try fs.create(Array("tmp".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.write(id, at: 0, Self.pattern(200_000, seed: 1))
        fs.retain(id)
        try fs.unlink(Array("tmp".utf8), in: 1)
        #expect(try fs.read(id, at: 0, count: 10).count == 10)
        try fs.sync()
        #expect(try Self.reopen(device).releaseListIDs() == [id])
        try fs.releaseHandle(id)
        try fs.sync()
        let again = try Self.reopen(device)
        #expect(try again.releaseListIDs().isEmpty)
        #expect(throws: FileSystemError.self) { try again.node(id) }
        try SpaceInvariant.check(again)
    }

    @Test func encryptedRoundTrip() throws {
        let password = Array("pw".utf8)
        let (device, fs) = try Self.fresh(password: password)
        let id = try fs.create(Array("secret".utf8), in: 1, mode: 0o100600, uid: 0, gid: 0)
        let data = Self.pattern(300_000, seed: 4)
        try fs.write(id, at: 0, data)
        try fs.sync()
        #expect(!device.bytes.contains(where: { _ in false }))
        let again = try Self.reopen(device, password: password)
        #expect(try again.read(id, at: 0, count: data.count) == data)
        #expect(throws: FileSystemError.format(.wrongPassword)) { try Self.reopen(device, password: Array("nope".utf8)) }
        try SpaceInvariant.check(again)
    }

    @Test func manyCommitsSquashTheLog() throws {
        let (device, fs) = try Self.fresh()
        let id = try fs.create(Array("counter".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        for i in 0..<2100 {
            try fs.write(id, at: UInt64(i % 50) * 4096, Self.pattern(4096, seed: UInt64(i)))
            try fs.sync()
        }
        #expect(fs.header.generation > 2048)
        let again = try Self.reopen(device)
        try SpaceInvariant.check(again)
        // The log is squashed every 1024 generations, so it stays short.
        var chain = 0
        var pointer = again.header.alloc
        var reader = again.reader
        while !pointer.isNull {
            chain += 1
            pointer = AllocList(block: try reader.reader.read(pointer, as: .allocList)).previous
        }
        #expect(chain < 20)
    }
}
