@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// The rewritten record's hash resumed from the old record's lanes (`RecordMarks`) at every place
/// the first changed page can be: the record's first page (nothing to resume), a middle one and
/// its last one, at several record sizes (4 KiB: one page, always hashed whole), in full records
/// and in a file's short last record (stored at a smaller level than the record size from 8 KiB
/// records up), through
/// the prepared write and both unprepared ones. Every old record is read from the device with its
/// marks (checked), and every new pointer's hash must be the SeaHash of the whole record.
@Suite struct RecordRehashPageTests {
    /// Whether `old` is read with its page marks (from the device, plain): the resumed hash is used.
    static func hasMarks(_ fs: FileSystem, _ old: BlockPointer) throws -> Bool {
        try fs.withReader { (reader) throws(FormatError) in try fs.markedRecord(old, reader: &reader.reader) != nil }
    }

    /// The writes into record `record` (`pages` pages, starting at `start` in the file) for one
    /// step: a page, part of a page, a piece across into the next page, or two pieces out of order
    /// (the later page first), each with `page` as the first changed page.
    static func writes(
        at page: Int, of pages: Int, start: Int, kind: Int, generator: inout SplitMix64
    ) -> [WriteRange] {
        let at = start + page * RedoxFS.blockSize
        switch kind {
        case 0:
            return [WriteRange(offset: UInt64(at), bytes: generator.bytes(RedoxFS.blockSize))]
        case 1:
            return [WriteRange(offset: UInt64(at + 1000), bytes: generator.bytes(100))]
        case 2 where page + 1 < pages:
            return [WriteRange(offset: UInt64(at + 3000), bytes: generator.bytes(2000))]
        case 3 where page + 1 < pages:
            return [
                WriteRange(offset: UInt64(start + (pages - 1) * RedoxFS.blockSize + 8), bytes: generator.bytes(500)),
                WriteRange(offset: UInt64(at + 4000), bytes: generator.bytes(96)),
            ]
        default:
            return [WriteRange(offset: UInt64(at + RedoxFS.blockSize - 64), bytes: generator.bytes(64))]
        }
    }

    @Test(arguments: [RecordSize(level: 0)!, RecordSize(level: 1)!, RecordSize(level: 2)!, RecordSize(level: 3)!, .upstream])
    func resumedHashesAreWholeRecordHashes(recordSize: RecordSize) throws {
        let deviceA = MemoryDevice(blockCount: 8192)
        let deviceB = MemoryDevice(blockCount: 8192)
        var a = try FileSystem.format(device: deviceA)
        var b = try FileSystem.format(device: deviceB)
        a.fileRecordSize = recordSize
        b.fileRecordSize = recordSize
        let size = Int(recordSize.bytes)
        // Three full records, then a short one: 10,000 bytes (a 16 KiB record of four pages)
        // where records are larger, else a little under half a record (one level down).
        let tail = size >= 32_768 ? 10_000 : size / 2 - 100
        var generator = SplitMix64(state: 0x4E5A + UInt64(recordSize.level))
        var model = generator.bytes(3 * size + tail)
        let fileA = try a.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let fileB = try b.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        _ = try a.write(fileA, at: 0, model)
        _ = try b.write(fileB, at: 0, model)
        var step = 0
        for record in 0..<4 {
            let level = record < 3 ? Int(recordSize.level) : Int(BlockLevel.forBytes(tail))
            let pages = 1 << level
            for page in Set([0, pages / 2, pages - 1]).sorted() {
                for kind in 0..<5 {
                    // Committed and opened again, so that the old record comes from the device
                    // with its marks (a commit keeps 4 KiB blocks in the cache, records too).
                    try a.unmount()
                    try b.unmount()
                    a = try FileSystem(device: deviceA, writable: true)
                    b = try FileSystem(device: deviceB, writable: true)
                    let old = try PreparedWriteTests.recordPointers(a, fileA)[record]
                    #expect(old.address.decompressionLevel == 0 && Int(old.address.byteCount) == RedoxFS.blockSize << level)
                    #expect(try Self.hasMarks(a, old), "record \(record), page \(page), kind \(kind): no marks")
                    let ranges = Self.writes(at: page, of: pages, start: record * size, kind: kind, generator: &generator)
                    guard case .prepared(let prepared) = a.preparation(of: fileA, ranges: ranges) else {
                        Issue.record("record \(record), page \(page), kind \(kind): not prepared")
                        continue
                    }
                    try a.write(fileA, ranges: ranges, prepared: prepared)
                    if step % 2 == 0 {
                        try b.write(fileB, ranges: ranges)
                    } else {
                        for range in ranges { _ = try b.write(fileB, at: range.offset, range.bytes) }
                    }
                    step += 1
                    model.apply(ranges)
                    let expected = model.storedRecord(record, recordSize: size)
                    let pointerA = try PreparedWriteTests.recordPointers(a, fileA)[record]
                    let pointerB = try PreparedWriteTests.recordPointers(b, fileB)[record]
                    let place = "record \(record) of \(pages) pages, page \(page), kind \(kind)"
                    #expect(prepared.decompressionLevel == 0 && prepared.stored == expected, "\(place)")
                    #expect(prepared.hash == SeaHash.hash(expected), "\(place): prepared")
                    #expect(pointerA.hash == SeaHash.hash(expected), "\(place): prepared write")
                    #expect(pointerB.hash == SeaHash.hash(expected), "\(place): unprepared write")
                    // The same stored form (addresses may differ: one merged write or several).
                    #expect(pointerA.hash == pointerB.hash && pointerA.address.byteCount == pointerB.address.byteCount
                        && pointerA.address.decompressionLevel == pointerB.address.decompressionLevel, "\(place)")
                }
            }
        }
        // The short last record grown a level (no marks of that size: hashed whole).
        if size >= 32_768 {
            let grow = [WriteRange(offset: UInt64(3 * size + 20_000), bytes: generator.bytes(4096))]
            guard case .prepared(let prepared) = a.preparation(of: fileA, ranges: grow) else {
                Issue.record("growth not prepared")
                return
            }
            try a.write(fileA, ranges: grow, prepared: prepared)
            model.apply(grow)
            let expected = model.storedRecord(3, recordSize: size)
            #expect(expected.count == 8 * RedoxFS.blockSize)
            #expect(prepared.stored == expected && prepared.hash == SeaHash.hash(expected))
        }
        try a.unmount()
        b.close()
        let reopened = try FileSystem(device: deviceA)
        #expect(try PreparedWriteTests.content(reopened, fileA) == model)
        #expect(try reopened.spaceReport().isClean)
        reopened.close()
    }
}
