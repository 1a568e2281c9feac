import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// `create(_:in:attributes:content:)`: a node complete in one operation.
@Suite struct NodeCreationTests {
    static func attributes(_ mode: UInt16) -> NodeAttributes {
        NodeAttributes(
            mode: mode, uid: 1000, gid: 100, changeTime: Timestamp(seconds: 1_700_000_000, nanoseconds: 5),
            modificationTime: Timestamp(seconds: 1_600_000_000, nanoseconds: 123_456_789),
            accessTime: Timestamp(seconds: 1_650_000_000, nanoseconds: 7))
    }

    @Test(arguments: [0, 10, 3967, 3968, 200_000])
    func fileWithContent(size: Int) throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device)
        let data = WritePathTests.pattern(size, seed: UInt64(size))
        let id = try data.withUnsafeBytes { raw in
            try fs.create(Array("f".utf8), in: 1, attributes: Self.attributes(0o104750), content: raw)
        }
        try fs.sync()
        let again = try FileSystem(device: device, writable: true)
        let node = try again.node(again.lookup("/f"))
        #expect(node.mode == 0o104750 && node.uid == 1000 && node.gid == 100 && node.links == 1)
        #expect(node.ctime == 1_700_000_000 && node.ctimeNanoseconds == 5)
        #expect(node.mtime == 1_600_000_000 && node.mtimeNanoseconds == 123_456_789)
        #expect(node.atime == 1_650_000_000 && node.atimeNanoseconds == 7)
        #expect(node.size == UInt64(size) && node.hasInlineData == (size < 3968))
        #expect(try again.read(id, at: 0, count: size) == data)
        try SpaceInvariant.check(again)
    }

    @Test func symlinksDirectoriesAndRefusals() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        let target = Array(String(repeating: "t/", count: 2500).utf8)
        let link = try target.withUnsafeBytes { try fs.create(Array("l".utf8), in: 1, attributes: Self.attributes(0o120777), content: $0) }
        #expect(try fs.readLink(link) == target)
        let directory = try fs.create(Array("d".utf8), in: 1, attributes: Self.attributes(0o040700))
        #expect(try fs.node(directory).isDirectory)
        let before = try fs.statistics().freeBlocks
        #expect(throws: FileSystemError.self) {
            try [1, 2, 3].withUnsafeBytes { try fs.create(Array("x".utf8), in: directory, attributes: Self.attributes(0o040700), content: $0) }
        }
        #expect(throws: FileSystemError.self) { try fs.create(Array("d".utf8), in: 1, attributes: Self.attributes(0o100644)) }
        #expect(throws: FileSystemError.self) { try fs.create(Array("a:b".utf8), in: 1, attributes: Self.attributes(0o100644)) }
        #expect(try fs.statistics().freeBlocks == before, "a refused create left allocations behind")
        #expect(try fs.entries(of: 1).count == 2)
        try fs.sync()
        try SpaceInvariant.check(fs)
    }
}
