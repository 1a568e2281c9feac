import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import Testing

/// Lookups and listings read the nodes of a directory ahead in gathered reads
/// (`FileSystemEngine.findNode`, `readNodesAhead(of:)`), and every node is still verified.
@Suite struct NodeReadAheadTests {
    /// A memory device that counts its reads (copies share the count, as they share the bytes).
    struct CountingDevice: StorageDevice {
        final class Count: @unchecked Sendable { var reads = 0 }
        var memory: MemoryDevice
        let count = Count()
        var blockCount: UInt64 { memory.blockCount }

        mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
            count.reads += 1
            try memory.readBlocks(at: index, into: buffer)
        }

        mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
            try memory.writeBlocks(at: index, from: buffer)
        }

        mutating func flush() throws(FormatError) { try memory.flush() }
    }

    static let names = (0..<120).map { Array("f\(1000 + $0)".utf8) }

    /// An image holding directory "/d" with `names`, files of 0 to ~12 KiB (so that records lie
    /// between the node blocks, as in a tree written file by file); the files' ids and pointers.
    static func makeImage(password: [UInt8]? = nil) throws -> (device: MemoryDevice, ids: [UInt32], pointers: [BlockPointer]) {
        let device = MemoryDevice(blockCount: 16384)
        let fs = try FileSystem.format(device: device, options: FormatOptions(password: password))
        let directory = try fs.create(Array("d".utf8), in: RedoxFS.rootNodeID, mode: 0o040755, uid: 0, gid: 0)
        var ids: [UInt32] = []
        for (i, name) in names.enumerated() {
            let id = try fs.create(name, in: directory, mode: 0o100644, uid: 0, gid: 0)
            _ = try fs.write(id, at: 0, Array(repeating: UInt8(i & 0xFF), count: (i * 997) % 12_000))
            ids.append(id)
        }
        try fs.sync()
        // A later commit, so that the damage the tests make lies in an older commit than the
        // newest (damage in a small newest commit's own blocks reads as a torn commit).
        _ = try fs.create(Array("later".utf8), in: RedoxFS.rootNodeID, mode: 0o100644, uid: 0, gid: 0)
        try fs.sync()
        var reader = fs.reader
        let pointers = try ids.map { try reader.nodePointer($0) }
        fs.close()
        return (device, ids, pointers)
    }

    /// The directory's id and node on a fresh open of `device` (nothing cached).
    static func open(_ device: MemoryDevice, password: [UInt8]? = nil) throws -> (fs: FileSystem, reads: CountingDevice.Count, directory: Node) {
        let counting = CountingDevice(memory: device)
        let fs = try FileSystem(device: counting, password: password, writable: false)
        return (fs, counting.count, try fs.node(fs.lookup("/d")))
    }

    /// Plain and encrypted (each block decrypted before its check, as a single read does).
    static let passwords: [[UInt8]?] = [nil, Array("read ahead".utf8)]

    @Test(arguments: passwords)
    func coldLookupsReadTheLeafAhead(password: [UInt8]?) throws {
        let image = try Self.makeImage(password: password)
        let (fs, reads, directory) = try Self.open(image.device, password: password)
        defer { fs.close() }
        let before = reads.reads
        for (i, name) in Self.names.enumerated() {
            let found = try #require(try fs.findNode(name, in: directory))
            #expect(found.id == image.ids[i])
            #expect(found.node.size == UInt64((i * 997) % 12_000))
        }
        // One read per node would be 120; the read-ahead reads them in a few large reads.
        #expect(reads.reads - before < 30)
        #expect(try fs.findNode(Array("missing".utf8), in: directory) == nil)
    }

    @Test(arguments: passwords)
    func readAheadStillVerifiesEveryNode(password: [UInt8]?) throws {
        let image = try Self.makeImage(password: password)
        // Damage one node block in the middle of the directory's nodes.
        let damaged = image.pointers[50]
        var memory = image.device
        var block = try memory.readBlocks(at: damaged.address.index, count: 1)
        block[200] ^= 0x40
        var failure: FormatError?
        block.withUnsafeBytes { raw in
            do throws(FormatError) { try memory.writeBlocks(at: damaged.address.index, from: raw) } catch { failure = error }
        }
        #expect(failure == nil)

        let (fs, _, directory) = try Self.open(image.device, password: password)
        defer { fs.close() }
        // The read-ahead around it keeps the good nodes and leaves the damaged one out ...
        #expect(try fs.findNode(Self.names[0], in: directory)?.id == image.ids[0])
        #expect(try fs.findNode(Self.names[49], in: directory)?.id == image.ids[49])
        // ... whose own read then fails its check, as without the read-ahead.
        #expect(throws: FileSystemError.self) { try fs.findNode(Self.names[50], in: directory) }
        do {
            _ = try fs.findNode(Self.names[50], in: directory)
        } catch {
            guard case .format(.hashMismatch(.node, let index, _, _)) = error else {
                Issue.record("expected a node hash mismatch, got \(error)"); return
            }
            #expect(index == damaged.address.index)
        }
        #expect(try fs.findNode(Self.names[51], in: directory)?.id == image.ids[51])
        #expect(throws: FileSystemError.self) { try fs.node(image.ids[50]) }
    }

    @Test func listingsReadTheirNodesAhead() throws {
        let image = try Self.makeImage()
        let (fs, reads, _) = try Self.open(image.device)
        defer { fs.close() }
        let before = reads.reads
        fs.readNodesAhead(of: Array(image.ids[0..<64]))
        let ahead = reads.reads - before
        #expect(ahead < 16)
        for (i, id) in image.ids[0..<64].enumerated() {
            #expect(try fs.node(id).size == UInt64((i * 997) % 12_000))
        }
        // Every one of those nodes came from the read-ahead.
        #expect(reads.reads - before == ahead)
    }
}
