@testable import RedoxFS
import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// The hosted providers' SeaHash (`CSeaHash`'s vector code where the processor has it) against the
/// core's `SeaHash.hash`, and the engine's verified reads through it still refusing a damaged record.
@Suite struct HostedSeaHashTests {
    /// Every length from 0 to 8192 bytes (every tail and row count), random contents, each also
    /// at an odd address; and 128 KiB records.
    @Test func providerHashEqualsCoreHash() {
        let providers = HostedProviders()
        var generator = SplitMix64(state: 0x5EA)
        let source = generator.bytes(8192 + 1)
        source.withUnsafeBufferPointer { all in
            for length in 0...8192 {
                for start in [0, 1] where start + length <= all.count {
                    let slice = UnsafeBufferPointer(rebasing: all[start..<start + length])
                    #expect(providers.seaHash(slice) == SeaHash.hash(slice), "length \(length) at \(start)")
                }
            }
        }
        for round in 0..<8 {
            let record = generator.bytes(128 << 10)
            #expect(record.withUnsafeBufferPointer { providers.seaHash($0) } == SeaHash.hash(record), "record \(round)")
        }
        #expect(providers.seaHash(UnsafeBufferPointer(start: nil, count: 0)) == SeaHash.hash([]))
    }

    /// A file of 128 KiB records written through the hosted engine, one record damaged on the
    /// device (in a commit older than the newest): read through the device's cache and past it, the record is refused with the hash
    /// the core computes of what is stored; the other records still read back.
    @Test(arguments: [false, true])
    func damagedRecordIsRefused(bypassingCache: Bool) throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device)
        #expect(fs.fileRecordSize == .upstream)
        var generator = SplitMix64(state: 77)
        let data = generator.bytes(4 * (128 << 10))
        let file = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        _ = try fs.write(file, at: 0, data)
        try fs.sync()
        // A later commit, so that the damaged record is not one of the newest commit's own blocks
        // (damage there reads as a torn commit and opens the generation before: NewestCommitCheck).
        _ = try fs.create(Array("g".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.sync()
        let node = try fs.node(file)
        let pointer = try fs.withReader { (reader) throws(FormatError) in try reader.recordPointer(2, of: node) }
        #expect(pointer.address.byteCount == 128 << 10)
        let startBlock = fs.startBlock
        fs.close()

        var bytes = device.bytes
        let damaged = Int(startBlock + pointer.address.index) * RedoxFS.blockSize + 70_000
        bytes[damaged] ^= 0x04
        let recordStart = Int(startBlock + pointer.address.index) * RedoxFS.blockSize
        let stored = Array(bytes[recordStart..<recordStart + (128 << 10)])

        let reopened = try FileSystem(device: MemoryDevice(bytes: bytes), startBlock: startBlock)
        defer { reopened.close() }
        reopened.recordReadsBypassCache = bypassingCache
        #expect(try reopened.read(file, at: 0, count: 2 * (128 << 10)) == Array(data[0..<2 * (128 << 10)]))
        #expect(try reopened.read(file, at: 3 * (128 << 10), count: 128 << 10) == Array(data[(3 * (128 << 10))...]))
        #expect(throws: FileSystemError.format(.hashMismatch(
            .record, block: pointer.address.index, expected: pointer.hash, actual: SeaHash.hash(stored)))) {
            _ = try reopened.read(file, at: 2 * (128 << 10) + 5, count: 4096)
        }
    }
}
