@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// A prepared rewrite of a plain record hashes the new record from its first changed page on,
/// from the lanes the old record's verify left at each page (`RecordMarks`): SeaHash in pieces
/// equals SeaHash whole (core and hosted vector code), every prepared record's hash is the hash
/// of its stored bytes wherever the write lands, and a damaged old record is still refused.
@Suite struct RecordRehashTests {
    /// Lanes advanced over any split of the rows, then finished, give `SeaHash.hash`; the
    /// hosted providers' vector code gives the core's lanes.
    @Test func hashInPiecesEqualsHashWhole() {
        let providers = HostedProviders()
        var generator = SplitMix64(state: 0x1A5E)
        for length in [0, 32, 64, 4096, 8192, 131_072] {
            let bytes = generator.bytes(length)
            let whole = SeaHash.hash(bytes)
            bytes.withUnsafeBufferPointer { buffer in
                for _ in 0..<6 {
                    let cut = length == 0 ? 0 : generator.next(below: length / 32 + 1) * 32
                    var core = SeaHashLanes.initial
                    var hosted = SeaHashLanes.initial
                    SeaHash.advance(&core, over: UnsafeBufferPointer(rebasing: buffer[0..<cut]))
                    providers.seaHashAdvance(&hosted, over: UnsafeBufferPointer(rebasing: buffer[0..<cut]))
                    #expect(core == hosted, "length \(length), cut \(cut)")
                    SeaHash.advance(&core, over: UnsafeBufferPointer(rebasing: buffer[cut...]))
                    providers.seaHashAdvance(&hosted, over: UnsafeBufferPointer(rebasing: buffer[cut...]))
                    #expect(SeaHash.finish(core, length: length) == whole, "length \(length), cut \(cut)")
                    #expect(SeaHash.finish(hosted, length: length) == whole, "length \(length), cut \(cut)")
                }
            }
        }
    }

    /// Prepared writes (one range, several, at the first, a middle and the last page, across a
    /// page boundary) into plain records: each prepared hash is the SeaHash of its stored bytes,
    /// and the file reads back as the model after each write and after a reopen; then the same
    /// writes unprepared, read back verified after the reopen.
    @Test func preparedHashesAreTheStoredBytesHashes() throws {
        let device = MemoryDevice(blockCount: 8192)
        let fs = try FileSystem.format(device: device)
        var generator = SplitMix64(state: 0x1A5F)
        let (file, original) = try CompressionOutlookTests.randomFile(fs, records: 3, generator: &generator)
        var model = original
        let record = 131_072
        let cases: [[(Int, Int)]] = [
            [(0, 4096)], [(record - 4096, 4096)], [(record + 65_536, 4096)], [(record + 70_000, 9000)],
            [(2 * record + 100, 10), (2 * record + 90_000, 4096), (2 * record + 8192, 4096)], [(2 * record + 131_000, 72)],
        ]
        for (step, writes) in cases.enumerated() {
            let ranges = writes.map { WriteRange(offset: UInt64($0.0), bytes: generator.data($0.1, repeatShare: 0, alphabet: 256)) }
            guard case .prepared(let prepared) = fs.preparation(of: file, ranges: ranges) else {
                Issue.record("step \(step): not prepared")
                continue
            }
            #expect(prepared.decompressionLevel == 0, "step \(step)")
            #expect(prepared.hash == SeaHash.hash(prepared.stored), "step \(step)")
            try fs.write(file, ranges: ranges, prepared: prepared)
            for range in ranges { model.replaceSubrange(Int(range.offset)..<Int(range.offset) + range.bytes.count, with: range.bytes) }
            #expect(try PreparedWriteTests.content(fs, file) == model, "step \(step)")
            if step == 2 { try fs.sync() }
        }
        // The same kinds of writes unprepared (single and grouped), after a commit so that their
        // old records come from the device: each record's hash is checked when read after the reopen.
        try fs.sync()
        for (step, writes) in cases.enumerated() {
            let ranges = writes.map { WriteRange(offset: UInt64($0.0), bytes: generator.data($0.1, repeatShare: 0, alphabet: 256)) }
            if step % 2 == 0 {
                try fs.write(file, ranges: ranges)
            } else {
                for range in ranges { _ = try fs.write(file, at: range.offset, range.bytes) }
            }
            for range in ranges { model.replaceSubrange(Int(range.offset)..<Int(range.offset) + range.bytes.count, with: range.bytes) }
            if step == 2 { try fs.sync() }
        }
        try fs.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try PreparedWriteTests.content(reopened, file) == model)
        #expect(try reopened.spaceReport().isClean)
    }

    /// One plain record damaged on the device: a prepared write into it is not prepared and the
    /// write fails with the record's hash mismatch (through the device's cache and past it);
    /// a write into another record still works.
    @Test(arguments: [false, true])
    func damagedRecordIsRefusedByRewrites(bypassingCache: Bool) throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device)
        var generator = SplitMix64(state: 0x1A60)
        let (file, original) = try CompressionOutlookTests.randomFile(fs, records: 3, generator: &generator)
        // A later commit: damage in the newest commit's own blocks reads as a torn commit.
        _ = try fs.create(Array("g".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.sync()
        let pointer = try PreparedWriteTests.recordPointers(fs, file)[1]
        let startBlock = fs.startBlock
        fs.close()
        var bytes = device.bytes
        let recordStart = Int(startBlock + pointer.address.index) * RedoxFS.blockSize
        bytes[recordStart + 100_000] ^= 0x10
        let stored = Array(bytes[recordStart..<recordStart + 131_072])

        let reopened = try FileSystem(device: MemoryDevice(bytes: bytes), startBlock: startBlock, writable: true)
        defer { reopened.close() }
        reopened.recordReadsBypassCache = bypassingCache
        let page = generator.bytes(4096)
        let ranges = [WriteRange(offset: 131_072 + 8192, bytes: page)]
        guard case .none = reopened.preparation(of: file, ranges: ranges) else {
            Issue.record("a damaged record was prepared")
            return
        }
        #expect(throws: FileSystemError.format(.hashMismatch(
            .record, block: pointer.address.index, expected: pointer.hash, actual: SeaHash.hash(stored)))) {
            try reopened.write(file, ranges: ranges)
        }
        let other = [WriteRange(offset: 8192, bytes: page)]
        guard case .prepared(let prepared) = reopened.preparation(of: file, ranges: other) else {
            Issue.record("the sound record was not prepared")
            return
        }
        try reopened.write(file, ranges: other, prepared: prepared)
        var expected = Array(original[0..<131_072])
        expected.replaceSubrange(8192..<12_288, with: page)
        #expect(try reopened.read(file, at: 0, count: 131_072) == expected)
    }
}
