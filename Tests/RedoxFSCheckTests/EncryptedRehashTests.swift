import RedoxFS
import RedoxFSCheck
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// Rewrites of records on an encrypted image, where the old record is read, decrypted and
/// verified page by page and the new record's hash resumed from its first changed page
/// (`RecordMarks`): pages written through the prepared and the plain write paths into the first,
/// a middle and the last page of full and short records, each new pointer's hash the SeaHash of
/// the whole record; then, opened again with the password, the files read as the model, the
/// space accounting is clean, and a scrubbing check (every block read, decrypted and verified)
/// finds nothing.
@Suite struct EncryptedRehashTests {
    static let password = Array("rehash".utf8)

    /// A file being rewritten: its node, record size and expected content.
    struct File {
        let id: UInt32
        let recordSize: Int
        var model: [UInt8]

        /// Record `record` as stored plain.
        func stored(_ record: Int) -> [UInt8] { model.storedRecord(record, recordSize: recordSize) }

        mutating func apply(_ ranges: [WriteRange]) { model.apply(ranges) }
    }

    static func pointer(_ fs: FileSystem, _ file: UInt32, record: Int) throws -> BlockPointer {
        try fs.withReader { (reader) throws(FormatError) in try reader.recordPointer(UInt64(record), of: try reader.node(file)) }
    }

    @Test func rewrittenEncryptedRecordsScrubClean() throws {
        let device = MemoryDevice(blockCount: 8192)
        var fs = try FileSystem.format(device: device, options: FormatOptions(password: Self.password))
        var generator = SplitMix64(state: 0xE4C2)
        // 128 KiB records with a 10,000-byte last one (stored in 16 KiB), and 8 KiB records.
        var files: [File] = []
        for (name, recordSize, size) in [("big", RecordSize.upstream, 3 * 131_072 + 10_000), ("small", RecordSize(level: 1)!, 5 * 8192 + 3000)] {
            fs.fileRecordSize = recordSize
            let id = try fs.create(Array(name.utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
            let content = generator.bytes(size)
            _ = try fs.write(id, at: 0, content)
            files.append(File(id: id, recordSize: Int(recordSize.bytes), model: content))
        }
        var marked = 0
        for step in 0..<48 {
            if step % 3 == 0 {
                // From the device again: the next old records are read, decrypted and marked.
                try fs.unmount()
                fs = try FileSystem(device: device, password: Self.password, writable: true)
            }
            let index = step % 2
            let recordSize = files[index].recordSize
            let records = (files[index].model.count + recordSize - 1) / recordSize
            let record = (step / 2) % records
            let pages = files[index].stored(record).count / RedoxFS.blockSize
            let page = [0, pages / 2, pages - 1][(step / 6) % 3]
            let start = record * recordSize + page * RedoxFS.blockSize
            let ranges = step % 4 < 2
                ? [WriteRange(offset: UInt64(start), bytes: generator.bytes(RedoxFS.blockSize))]
                : [WriteRange(offset: UInt64(start + 1000), bytes: generator.bytes(200))]
            let old = try Self.pointer(fs, files[index].id, record: record)
            if try fs.withReader({ (reader) throws(FormatError) in try fs.markedRecord(old, reader: &reader.reader) != nil }) {
                marked += 1
            }
            if step % 5 == 4 {
                try fs.write(files[index].id, ranges: ranges)
            } else {
                guard case .prepared(let prepared) = fs.preparation(of: files[index].id, ranges: ranges) else {
                    Issue.record("step \(step): not prepared")
                    continue
                }
                #expect(prepared.hash == SeaHash.hash(prepared.stored), "step \(step)")
                try fs.write(files[index].id, ranges: ranges, prepared: prepared)
            }
            files[index].apply(ranges)
            let new = try Self.pointer(fs, files[index].id, record: record)
            #expect(new.address.decompressionLevel == 0, "step \(step)")
            #expect(new.hash == SeaHash.hash(files[index].stored(record)), "step \(step): record \(record), page \(page) of \(pages)")
        }
        #expect(marked >= 40)
        try fs.unmount()

        let reopened = try FileSystem(device: device, password: Self.password)
        for file in files {
            #expect(try reopened.read(file.id, at: 0, count: file.model.count + 1) == file.model)
        }
        #expect(try reopened.spaceReport().isClean)
        reopened.close()
        let report = try FileSystemChecker.check(device: device, options: CheckOptions(scrub: true, password: Self.password))
        #expect(report.encrypted && report.scrubbed)
        #expect(report.errors == 0 && report.warnings == 0, "\(report.problems.prefix(5).map(\.message))")
    }
}
