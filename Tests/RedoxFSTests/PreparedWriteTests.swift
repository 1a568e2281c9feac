@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// Writes prepared ahead under the shared lock (`prepareWrite`, what the FUSE mount does for
/// every write inside one record): the record they store is the one the plain write stores
/// (same blocks, same hashes), a prepared record that no longer applies (the record changed,
/// the file shrank, another write came first) is made again, and the one-pass record merge
/// equals the byte-by-byte rule of spec §9.5.
@Suite struct PreparedWriteTests {
    static func recordPointers(_ fs: FileSystem, _ file: UInt32) throws -> [BlockPointer] {
        try fs.withReader { (reader) throws(FormatError) in
            let node = try reader.node(file)
            return try (0..<node.recordCount).map { (record) throws(FormatError) in try reader.recordPointer(record, of: node) }
        }
    }

    static func content(_ fs: FileSystem, _ file: UInt32) throws -> [UInt8] {
        let node = try fs.node(file)
        return try fs.read(file, at: 0, count: Int(node.size))
    }

    /// A file of `records` records whose data alternates between incompressible and repetitive
    /// stretches (so that some records are stored compressed), committed.
    static func makeFile(_ fs: FileSystem, recordSize: RecordSize, records: Int, generator: inout SplitMix64) throws -> (UInt32, [UInt8]) {
        fs.fileRecordSize = recordSize
        let file = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        var data: [UInt8] = []
        let size = Int(recordSize.bytes)
        for record in 0..<records {
            data += record % 3 == 0 ? generator.data(size, repeatShare: 95, alphabet: 4) : generator.data(size, repeatShare: 0, alphabet: 256)
        }
        data.removeLast(size / 3)  // a short last record
        _ = try fs.write(file, at: 0, data)
        try fs.sync()
        return (file, data)
    }

    /// Random small writes at every record size, each prepared and then written, on one engine;
    /// the same writes unprepared on another: after every write both hold the same record
    /// pointers (so the same stored bytes), and the content matches the model; both reopen clean.
    @Test(arguments: RecordSize.all)
    func preparedWritesStoreWhatPlainWritesStore(recordSize: RecordSize) throws {
        let deviceA = MemoryDevice(blockCount: 8192)
        let deviceB = MemoryDevice(blockCount: 8192)
        let a = try FileSystem.format(device: deviceA)
        let b = try FileSystem.format(device: deviceB)
        var generatorA = SplitMix64(state: 21)
        var generatorB = SplitMix64(state: 21)
        let records = 24
        let (fileA, model0) = try Self.makeFile(a, recordSize: recordSize, records: records, generator: &generatorA)
        let (fileB, _) = try Self.makeFile(b, recordSize: recordSize, records: records, generator: &generatorB)
        var model = model0
        var generator = SplitMix64(state: 5)
        var applied = 0
        for step in 0..<120 {
            let count = [1, 100, 4096, 4096, 4096, 9000][Int(generator.next() % 6)]
            var offset = Int(generator.next() % UInt64(model.count - count))
            if step % 2 == 0 { offset = offset / 4096 * 4096 }  // page-aligned, as the writeback sends them
            let kind = step % 4
            // Compressible pieces into compressed records, random ones elsewhere, now and then
            // the bytes already there (nothing to store).
            let bytes = kind == 3 ? Array(model[offset..<offset + count])
                : generator.data(count, repeatShare: kind == 0 ? 95 : 0, alphabet: kind == 0 ? 4 : 256)
            let prepared = bytes.withUnsafeBytes { a.prepareWrite(fileA, at: UInt64(offset), $0) }
            let inOneRecord = offset / Int(recordSize.bytes) == (offset + count - 1) / Int(recordSize.bytes)
            if !inOneRecord || kind == 3 { #expect(prepared == nil, "step \(step)") }
            if prepared != nil { applied += 1 }
            _ = try bytes.withUnsafeBytes { (raw) throws(FileSystemError) in try a.write(fileA, at: UInt64(offset), raw, prepared: prepared) }
            _ = try b.write(fileB, at: UInt64(offset), bytes)
            model.replaceSubrange(offset..<offset + count, with: bytes)
            #expect(try Self.recordPointers(a, fileA) == Self.recordPointers(b, fileB), "step \(step)")
            if step % 30 == 29 {
                #expect(try Self.content(a, fileA) == model, "step \(step)")
                try a.sync()
                try b.sync()
            }
        }
        #expect(applied > 40)
        try a.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: deviceA.bytes))
        #expect(try Self.content(reopened, fileA) == model)
        #expect(try reopened.spaceReport().isClean)
    }

    /// A prepared record that no longer applies is not used: another write to the same record
    /// came first, the file was cut inside the record, or the record became a hole.
    @Test(arguments: [RecordSize.upstream, RecordSize(level: 0)!, RecordSize(level: 2)!])
    func stalePreparedRecordsAreMadeAgain(recordSize: RecordSize) throws {
        let device = MemoryDevice(blockCount: 8192)
        let fs = try FileSystem.format(device: device)
        var generator = SplitMix64(state: 77)
        let (file, original) = try Self.makeFile(fs, recordSize: recordSize, records: 6, generator: &generator)
        let size = Int(recordSize.bytes)
        var model = original
        let piece = generator.data(min(1000, size / 4), repeatShare: 0, alphabet: 256)
        let other = generator.data(min(1000, size / 4), repeatShare: 0, alphabet: 256)

        // Another write into the same record between the preparation and the write.
        let first = size + 10
        let second = size + size / 2
        let prepared = piece.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(first), $0) }
        #expect(prepared != nil)
        _ = try fs.write(file, at: UInt64(second), other)
        model.replaceSubrange(second..<second + other.count, with: other)
        _ = try piece.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: UInt64(first), raw, prepared: prepared) }
        model.replaceSubrange(first..<first + piece.count, with: piece)
        #expect(try Self.content(fs, file) == model)

        // The file cut inside the record: the bytes past the cut read as zeros afterwards.
        let cutRecord = 3 * size
        let cut = cutRecord + 16
        let late = cutRecord + size / 2
        let preparedLate = piece.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(late), $0) }
        #expect(preparedLate != nil)
        try fs.truncate(file, to: UInt64(cut))
        model.removeLast(model.count - cut)
        _ = try piece.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: UInt64(late), raw, prepared: preparedLate) }
        model += [UInt8](repeating: 0, count: late - model.count) + piece
        #expect(try Self.content(fs, file) == model)

        // The record punched into a hole (truncated away and grown back).
        let holeRecord = 1 * size
        let preparedHole = piece.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(holeRecord), $0) }
        #expect(preparedHole != nil)
        let length = model.count
        try fs.truncate(file, to: UInt64(holeRecord))
        try fs.truncate(file, to: UInt64(length))
        model.replaceSubrange(holeRecord..<length, with: [UInt8](repeating: 0, count: length - holeRecord))
        _ = try piece.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: UInt64(holeRecord), raw, prepared: preparedHole) }
        model.replaceSubrange(holeRecord..<holeRecord + piece.count, with: piece)
        #expect(try Self.content(fs, file) == model)

        // A prepared record offered with other bytes' offset is ignored.
        let wrongPlace = 4 * size + 8
        let preparedElsewhere = piece.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(2 * size), $0) }
        _ = try other.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: UInt64(wrongPlace), raw, prepared: preparedElsewhere) }
        if wrongPlace + other.count > model.count { model += [UInt8](repeating: 0, count: wrongPlace + other.count - model.count) }
        model.replaceSubrange(wrongPlace..<wrongPlace + other.count, with: other)
        #expect(try Self.content(fs, file) == model)

        try fs.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try Self.content(reopened, file) == model)
        #expect(try reopened.spaceReport().isClean)
    }

    /// Nothing is prepared where the write would not store one existing record: holes, past the
    /// end, across records, inline files, directories, read-only file systems.
    @Test func nothingIsPreparedOutsideOneExistingRecord() throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device)
        var generator = SplitMix64(state: 3)
        let (file, data) = try Self.makeFile(fs, recordSize: .upstream, records: 3, generator: &generator)
        let page = generator.data(4096, repeatShare: 0, alphabet: 256)
        func prepare(_ id: UInt32, _ offset: Int) -> PreparedRecordWrite? {
            page.withUnsafeBytes { fs.prepareWrite(id, at: UInt64(offset), $0) }
        }
        #expect(prepare(file, 4096) != nil)
        #expect(prepare(file, 131_072 - 100) == nil, "across two records")
        #expect(prepare(file, data.count + 8192) != nil, "past the end, inside the last record")
        #expect(prepare(file, (data.count / 131_072 + 1) * 131_072 + 4096) == nil, "past the last record")
        try fs.truncate(file, to: UInt64(data.count + 4 * 131_072))
        #expect(prepare(file, data.count + 2 * 131_072) == nil, "a hole")
        let small = try fs.create(Array("s".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        _ = try fs.write(small, at: 0, [1, 2, 3])
        #expect(prepare(small, 0) == nil, "inline data")
        #expect(prepare(1, 0) == nil, "a directory")
        try fs.sync()
        let readOnly = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(page.withUnsafeBytes { readOnly.prepareWrite(file, at: 4096, $0) } == nil)
    }

    /// While a prepared write of a record is out, a second write into that record is not
    /// prepared (it would be made from the record the first replaces); once the first is written
    /// (or offered to a write elsewhere), the record can be prepared again.
    @Test func oneRecordIsPreparedOnceAtATime() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        var generator = SplitMix64(state: 4)
        let (file, _) = try Self.makeFile(fs, recordSize: .upstream, records: 3, generator: &generator)
        let page = generator.data(4096, repeatShare: 0, alphabet: 256)
        func prepare(_ offset: Int) -> PreparedRecordWrite? {
            page.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(offset), $0) }
        }
        let first = prepare(4096)
        #expect(first != nil)
        #expect(prepare(8192) == nil, "the same record, while the first is out")
        let busy = page.withUnsafeBytes { fs.preparation(of: file, at: 8192, $0) }
        if case .busy = busy {} else { Issue.record("a claimed record is reported busy, not \(busy)") }
        let none = page.withUnsafeBytes { fs.preparation(of: file, at: 131_072 - 100, $0) }
        if case .none = none {} else { Issue.record("a write across records has nothing to prepare, not \(none)") }
        let other = prepare(131_072 + 4096)
        #expect(other != nil, "another record")
        _ = try page.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: 4096, raw, prepared: first) }
        let again = prepare(8192)
        #expect(again != nil, "after the write")
        _ = try page.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: 8192, raw, prepared: again) }
        _ = try page.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: 131_072 + 4096, raw, prepared: other) }
        #expect(prepare(131_072 + 8192) != nil)
    }

    /// A prepared write that is never made (the caller failed before writing) gives its record
    /// back through `releaseClaim`, so the record's next write is prepared, not kept waiting.
    @Test func anAbandonedPreparationReleasesItsRecord() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        var generator = SplitMix64(state: 5)
        let (file, _) = try Self.makeFile(fs, recordSize: .upstream, records: 2, generator: &generator)
        let page = generator.data(4096, repeatShare: 0, alphabet: 256)
        func prepare(_ offset: Int) -> PreparedRecordWrite? {
            page.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(offset), $0) }
        }
        let abandoned = try #require(prepare(4096))
        #expect(prepare(8192) == nil, "claimed while the first is out")
        fs.releaseClaim(of: abandoned)
        let next = try #require(prepare(8192), "released: the record is prepared again")
        _ = try page.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: 8192, raw, prepared: next) }
    }

    /// The one-pass merge against the rule written out byte by byte: pad the record with zeros to
    /// the level holding the write's end, compare, copy.
    @Test func oneRecordMergeMatchesTheRule() {
        var generator = SplitMix64(state: 11)
        let contentSizes = [0, 4096, 8192, 16_384, 131_072]
        for _ in 0..<400 {
            let contentSize = contentSizes[Int(generator.next() % UInt64(contentSizes.count))]
            var content = generator.data(contentSize, repeatShare: 50, alphabet: 3)
            if generator.next() % 4 == 0 { content = [UInt8](repeating: 0, count: contentSize) }
            let within = Int(generator.next() % 131_072)
            let count = Int(generator.next() % UInt64(131_072 - within + 1))
            var bytes = generator.data(count, repeatShare: 50, alphabet: 2)
            switch generator.next() % 4 {
            case 0: bytes = [UInt8](repeating: 0, count: count)  // zeros: the same past the end
            case 1 where within + count <= contentSize: bytes = Array(content[within..<within + count])
            default: break
            }
            let evenIfSame = generator.next() % 5 == 0
            var expected = content
            let wanted = 4096 << Int(BlockLevel.forBytes(within + count))
            if expected.count < wanted { expected += [UInt8](repeating: 0, count: wanted - expected.count) }
            let same = bytes.isEmpty || Array(expected[within..<within + count]) == bytes
            expected.replaceSubrange(within..<within + count, with: bytes)
            var merged = content
            let changed = bytes.withUnsafeBytes { RecordMerge.merge(&merged, within: within, bytes: $0, evenIfSame: evenIfSame) }
            if same && !evenIfSame {
                #expect(!changed && merged == content, "content \(contentSize), within \(within), count \(count)")
            } else {
                #expect(changed && merged == expected, "content \(contentSize), within \(within), count \(count)")
            }
        }
    }

    /// A prepared record's stored form decodes (with the core's own LZ4 too) to the merged
    /// record, and its hash is the SeaHash of the stored bytes.
    @Test func preparedStoredFormsDecodeToTheRecord() throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device)
        var generator = SplitMix64(state: 8)
        let (file, data) = try Self.makeFile(fs, recordSize: .upstream, records: 6, generator: &generator)
        var compressed = 0
        for (index, share) in [95, 0, 60, 99, 30, 95].enumerated() {
            let offset = index * 131_072 + 4096 * (index + 1)
            let bytes = generator.data(4096, repeatShare: share, alphabet: share > 50 ? 4 : 256)
            guard let prepared = bytes.withUnsafeBytes({ fs.prepareWrite(file, at: UInt64(offset), $0) }) else {
                Issue.record("record \(index) not prepared")
                continue
            }
            var record = Array(data[index * 131_072..<min(data.count, (index + 1) * 131_072)])
            record += [UInt8](repeating: 0, count: 131_072 - record.count)
            record.replaceSubrange(4096 * (index + 1)..<4096 * (index + 2), with: bytes)
            #expect(prepared.hash == SeaHash.hash(prepared.stored))
            #expect(prepared.stored.count == 4096 << Int(BlockLevel.forBytes(prepared.stored.count)))
            if prepared.decompressionLevel == 0 {
                #expect(prepared.stored == record)
            } else {
                compressed += 1
                #expect(prepared.decompressionLevel == 5)
                #expect(prepared.stored.count <= 65_536)
                let length = Int(prepared.stored[0]) | Int(prepared.stored[1]) << 8
                let payload = Array(prepared.stored[2..<2 + length])
                #expect(try SwiftLZ4().decompress(payload, outputCapacity: 131_072) == record)
                #expect(try SystemLZ4().decompress(payload, outputCapacity: 131_072) == record)
            }
        }
        #expect(compressed >= 2)
    }
}
