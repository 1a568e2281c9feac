import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSTestSupport
import Testing

/// Damaged copies of the fixtures give typed errors that name the structure and block.
@Suite struct CorruptionTests {
    /// Flips one bit of file-system block `index` (relative to the start) in the image at `path`.
    static func flipBit(in path: String, block index: UInt64, byte: Int = 100, startBlock: UInt64 = 0) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let offset = (startBlock + index) * 4096 + UInt64(byte)
        try handle.seek(toOffset: offset)
        var data = try handle.read(upToCount: 1) ?? Data([0])
        data[0] ^= 0x10
        try handle.seek(toOffset: offset)
        handle.write(data)
    }

    /// Dumps the whole image, returning the error it fails with.
    static func dumpError(_ path: String, password: [UInt8]? = nil) -> FileSystemError? {
        do {
            let fs = try FileSystem(path: path, password: password)
            defer { fs.close() }
            _ = try Manifest(fileSystem: fs, imageName: "x")
            return nil
        } catch {
            return error
        }
    }

    @Test func truncatedImage() throws {
        let path = try Fixtures.copy("ar")
        #expect(truncate(path, 32 << 20) == 0)
        #expect(Self.dumpError(path) == .format(.malformed(.header, block: 5, .largerThanDevice)))
    }

    @Test func flippedNewestHeaderFallsBack() throws {
        let path = try Fixtures.copy("ar")
        try Self.flipBit(in: path, block: 5)
        let fs = try FileSystem(path: path)
        defer { fs.close() }
        #expect(fs.header.generation == 4)
        #expect(Self.dumpError(path) == nil)
    }

    @Test func everyHeaderFlipped() throws {
        let path = try Fixtures.copy("mkfs-empty")
        for slot: UInt64 in 0...3 { try Self.flipBit(in: path, block: slot, byte: 40) }
        #expect(Self.dumpError(path) == .format(.noValidHeader))
    }

    @Test func flippedTreeBlock() throws {
        let path = try Fixtures.copy("ar")
        let tree = try FileSystem(path: path).header.tree
        try Self.flipBit(in: path, block: tree.address.index)
        // The root cannot be read: opening refuses, naming the damage and the generation.
        guard case .damagedGeneration(let generation, .hashMismatch(.treeList, let block, _, _), _) = Self.dumpError(path) else {
            Issue.record("expected a refusal for a tree-list checksum error"); return
        }
        #expect(block == tree.address.index)
        #expect(generation == 5)
    }

    @Test func flippedNode() throws {
        let path = try Fixtures.copy("ar")
        let fs = try FileSystem(path: path)
        let id = try fs.lookup("/one")
        var reader = fs.reader
        let pointer = try reader.nodePointer(id)
        fs.close()
        try Self.flipBit(in: path, block: pointer.address.index, byte: 3000)
        #expect(Self.dumpError(path) == .format(.hashMismatch(.node, block: pointer.address.index, expected: pointer.hash, actual: Self.actualHash(path, pointer))))
    }

    @Test func flippedDirectoryBlock() throws {
        let path = try Fixtures.copy("ar")
        let fs = try FileSystem(path: path)
        let links = try fs.node(fs.lookup("/links"))
        fs.close()
        let leaf = links.levelPointer(1)
        try Self.flipBit(in: path, block: leaf.address.index, byte: 7)
        guard case .format(.hashMismatch(.dirList, let block, _, _)) = Self.dumpError(path) else {
            Issue.record("expected a directory checksum error"); return
        }
        #expect(block == leaf.address.index)
    }

    @Test func flippedHashTreeBlock() throws {
        let path = try Fixtures.copy("ar")
        let fs = try FileSystem(path: path)
        let many = try fs.node(fs.lookup("/many"))
        fs.close()
        #expect(many.levelPointer(0).markerDepth == 1)
        try Self.flipBit(in: path, block: many.levelPointer(1).address.index, byte: 2)
        guard case .format(.hashMismatch(.hTreeNode, _, _, _)) = Self.dumpError(path) else {
            Issue.record("expected a directory index checksum error"); return
        }
    }

    @Test(arguments: [("ar", "/random-1MiB.bin"), ("ar", "/compressible-1MiB.txt"), ("ar-encrypted-lib", "/random-1MiB.bin")])
    func flippedDataRecord(image: String, file: String) throws {
        let path = try Fixtures.copy(image)
        let password = image == "ar-encrypted-lib" ? Fixtures.password : nil
        let fs = try FileSystem(path: path, password: password)
        let node = try fs.node(fs.lookup(file))
        fs.close()
        let record = node.levelPointer(3)
        try Self.flipBit(in: path, block: record.address.index, byte: 17)
        guard case .format(.hashMismatch(.record, let block, _, _)) = Self.dumpError(path, password: password) else {
            Issue.record("expected a record checksum error"); return
        }
        #expect(block == record.address.index)
    }

    @Test func allZeroImage() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zeros-\(UUID()).img").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        #expect(truncate(path, 16 << 20) == 0)
        #expect(Self.dumpError(path) == .format(.noValidHeader))
    }

    @Test func randomImage() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("random-\(UUID()).img").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(Self.dumpError(path) == .format(.noValidHeader))
    }

    @Test func emptyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID()).img").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        #expect(Self.dumpError(path) == .format(.noValidHeader))
    }

    static func actualHash(_ path: String, _ pointer: BlockPointer) -> UInt64 {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        try? handle.seek(toOffset: pointer.address.index * 4096)
        return SeaHash.hash([UInt8](handle.readData(ofLength: 4096)))
    }
}
