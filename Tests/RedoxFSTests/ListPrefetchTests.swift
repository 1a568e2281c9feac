import RedoxFS
import RedoxFSEngine
import RedoxFSFormat
import Testing

/// A cold read of a record under a list of lists hints the device to read that list's lists
/// (`CachedBlockReader.readListOfLists`, `StorageDevice.prefetchBlocks`).
@Suite struct ListPrefetchTests {
    /// What a `HintRecordingDevice` saw, shared by its copies.
    final class Log: @unchecked Sendable {
        var prefetched: [Range<UInt64>] = []
        var read: [UInt64] = []
    }

    /// A memory device that records prefetch hints and the blocks read.
    struct HintRecordingDevice: StorageDevice {
        var base: MemoryDevice
        let log: Log

        var blockCount: UInt64 { base.blockCount }

        mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
            log.read.append(contentsOf: index..<index + UInt64(buffer.count / RedoxFS.blockSize))
            try base.readBlocks(at: index, into: buffer)
        }

        mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
            try base.writeBlocks(at: index, from: buffer)
        }

        mutating func flush() throws(FormatError) { try base.flush() }

        mutating func prefetchBlocks(at index: UInt64, count: Int) {
            log.prefetched.append(index..<index + UInt64(count))
        }
    }

    /// Records in the tier of two BlockList levels (past 128 direct records and 64 × 256).
    static let firstTwoLevelRecord: UInt64 = 128 + 64 * 256

    static func page(_ seed: UInt64) -> [UInt8] {
        (0..<4096).map { UInt8(truncatingIfNeeded: (UInt64($0) &* 31) ^ seed) }
    }

    @Test func coldReadUnderAListOfListsHintsItsLists() throws {
        let memory = MemoryDevice(blockCount: 8192)
        var fs = try FileSystem.format(device: memory)
        fs.fileRecordSize = try #require(RecordSize(bytes: 4096))
        let id = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        // Three level-0 lists under the first list of lists (256 records each), one record each.
        let records = [3, 300, 700].map { Self.firstTwoLevelRecord + $0 }
        for record in records { #expect(try fs.write(id, at: record * 4096, Self.page(record)) == 4096) }
        try fs.unmount()

        let log = Log()
        fs = try FileSystem(device: HintRecordingDevice(base: memory, log: log))
        log.prefetched = []
        log.read = []
        #expect(try fs.read(id, at: records[0] * 4096, count: 4096) == Self.page(records[0]))
        let hinted = log.prefetched.reduce(0) { $0 + $1.count }
        #expect(hinted == 3, "the three level-0 lists: \(log.prefetched)")
        #expect(log.prefetched.allSatisfy { $0.upperBound <= memory.blockCount })

        // The next record's list is one of the hinted blocks, and the list of lists comes from
        // the engine's cache: no hint again.
        for record in records.dropFirst() {
            log.read = []
            #expect(try fs.read(id, at: record * 4096, count: 4096) == Self.page(record))
            let listReads = log.read.filter { block in log.prefetched.contains { $0.contains(block) } }
            #expect(listReads.count == 1, "read \(log.read), hinted \(log.prefetched)")
        }
        #expect(log.prefetched.reduce(0) { $0 + $1.count } == 3)
        fs.close()
    }

    @Test func directRecordsAndOneLevelListsGiveNoHint() throws {
        let memory = MemoryDevice(blockCount: 4096)
        var fs = try FileSystem.format(device: memory)
        fs.fileRecordSize = try #require(RecordSize(bytes: 4096))
        let id = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        for record: UInt64 in [1, 200, 5000] { #expect(try fs.write(id, at: record * 4096, Self.page(record)) == 4096) }
        try fs.unmount()

        let log = Log()
        fs = try FileSystem(device: HintRecordingDevice(base: memory, log: log))
        for record: UInt64 in [1, 200, 5000] { #expect(try fs.read(id, at: record * 4096, count: 4096) == Self.page(record)) }
        #expect(log.prefetched.isEmpty)
        fs.close()
    }
}
