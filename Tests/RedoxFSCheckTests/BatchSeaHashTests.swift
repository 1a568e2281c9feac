import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// The vector SeaHash (`BatchSeaHash`) gives the format's hashes, and the checker finds the same
/// damage with it as hashing block by block.
@Suite struct BatchSeaHashTests {
    @Test func givesTheHashesOfSeaHash() throws {
        guard BatchSeaHash.isAvailable else { return }  // no AVX-512 here: nothing to compare
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in [0, 1, 7, 8, 9, 31, 32, 33, 63, 100, 4095, 4096, 8192] {
            for count in 1...5 {
                let blocks = (0..<count).map { _ in
                    (0..<length).map { _ -> UInt8 in
                        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        return UInt8(truncatingIfNeeded: state >> 33)
                    }
                }
                var hashes: [UInt64] = []
                let buffers = blocks.map { block in
                    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, length))
                    buffer.initialize(from: block, count: length)
                    return buffer
                }
                defer { buffers.forEach { $0.deallocate() } }
                BatchSeaHash.hash(buffers.map { UnsafePointer($0) }, length: length, into: &hashes)
                #expect(hashes == blocks.map { SeaHash.hash($0) }, "length \(length), \(count) block(s)")
            }
        }
        // All zeros and all ones (the lanes' carries).
        for byte: UInt8 in [0, 0xFF] {
            let block = [UInt8](repeating: byte, count: RedoxFS.blockSize)
            var hashes: [UInt64] = []
            block.withUnsafeBufferPointer { buffer in
                BatchSeaHash.hash([buffer.baseAddress, buffer.baseAddress, buffer.baseAddress], length: block.count, into: &hashes)
            }
            #expect(hashes == [UInt64](repeating: SeaHash.hash(block), count: 3))
            #expect(block.withUnsafeBufferPointer { BatchSeaHash.hash($0) } == SeaHash.hash(block))
        }
    }

    /// Damaged node blocks (bad hashes) and nodes whose hash is right but whose fields are wrong:
    /// the same report, problem for problem, with the vector hash and without it.
    @Test func findsTheSameDamageAsHashingOneByOne() throws {
        let (path, _) = try GeneratedImage.copy()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        var surgeon = try ImageSurgeon(path: path)
        // Looked up before any damage (the lookups read the nodes on the way).
        let damaged = try ["/docs/readme.txt", "/sub/deeper/file-3", "/sub/deeper/file-4", "/sub/deeper/file-30", "/sub"]
            .map { try surgeon.nodePointer(try surgeon.id(of: $0)) }
        // A directory block (read and hashed on the main thread).
        let directoryBlock = try surgeon.node(try surgeon.id(of: "/docs")).levelPointer(1).address.index
        try surgeon.rewriteNode(try surgeon.id(of: "/sub/deeper/file-10")) { $0.links = 7 }
        for pointer in damaged { try surgeon.flipBit(block: pointer.address.index, byte: 200) }
        try surgeon.flipBit(block: directoryBlock, byte: 100)
        surgeon.close()

        // The choice is the check's own option, not a global: other suites' checks running
        // meanwhile keep theirs.
        var options = CheckOptions()
        options.vectorHashes = false
        let oneByOne = try CheckFixtures.check(path, options: options)
        options.vectorHashes = true
        let batched = try CheckFixtures.check(path, options: options)
        #expect(oneByOne.problems.contains { $0.code == .checksumMismatch })
        #expect(oneByOne.problems.contains { $0.code == .linkCount })
        #expect(oneByOne.problems.contains { $0.code == .checksumMismatch && $0.block == directoryBlock })
        #expect(batched.problems == oneByOne.problems)
        #expect(batched.problemCounts == oneByOne.problemCounts)
        #expect(batched.exitStatus == oneByOne.exitStatus)
        #expect(batched.statistics.nodes == oneByOne.statistics.nodes)
        #expect(batched.statistics.blocksRead == oneByOne.statistics.blocksRead)
    }
}
