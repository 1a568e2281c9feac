@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// Rewrites of records stored plain skip the LZ4 try of the whole record while they stay
/// incompressible (`CompressionOutlook`), counted by `recordCompressionTries`: random pieces
/// into random records are not tried (plain, prepared and gathered writes alike), while a record
/// zeroed or filled with compressible data piece by piece is tried at each piece and stored
/// compressed exactly when a try of the whole record fits (upstream's rule, spec §9.4);
/// compressed records, large writes and records that grow a level are always tried.
@Suite struct CompressionOutlookTests {
    static let recordBytes = 131_072

    /// A file of `records` records of random bytes (stored plain), committed.
    static func randomFile(_ fs: FileSystem, records: Int, generator: inout SplitMix64) throws -> (UInt32, [UInt8]) {
        let file = try fs.create(Array("r".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let data = generator.data(records * recordBytes, repeatShare: 0, alphabet: 256)
        _ = try fs.write(file, at: 0, data)
        try fs.sync()
        return (file, data)
    }

    /// The decompression level upstream's rule gives a 128 KiB record of `content`: 5 when its
    /// LZ4 block and the 2-byte length fit in 64 KiB, else 0.
    static func expectedLevel(_ content: ArraySlice<UInt8>) -> UInt8 {
        let fits = Array(content).withUnsafeBufferPointer { SystemLZ4().compress($0, limit: 65_536 - 2) } != nil
        return fits ? 5 : 0
    }

    static func levels(_ fs: FileSystem, _ file: UInt32) throws -> [UInt8] {
        try PreparedWriteTests.recordPointers(fs, file).map(\.address.decompressionLevel)
    }

    /// Random 4 KiB pieces (and shorter ones) into random records, written plain, prepared and
    /// gathered: no record is tried, every one stays plain, the content is the model's.
    @Test func randomPiecesIntoRandomRecordsAreNotTried() throws {
        let device = MemoryDevice(blockCount: 8192)
        let fs = try FileSystem.format(device: device)
        var generator = SplitMix64(state: 41)
        let (file, original) = try Self.randomFile(fs, records: 4, generator: &generator)
        #expect(try Self.levels(fs, file) == [0, 0, 0, 0])
        var model = original
        let formedBefore = fs.recordFormations
        let triesBefore = fs.recordCompressionTries
        for step in 0..<60 {
            let count = [4096, 4096, 100, 7000][step % 4]
            let offset = generator.next(below: model.count - count) / (step % 2 == 0 ? 4096 : 1) * (step % 2 == 0 ? 4096 : 1)
            let bytes = generator.data(count, repeatShare: 0, alphabet: 256)
            switch step % 3 {
            case 0:
                _ = try fs.write(file, at: UInt64(offset), bytes)
            case 1:
                let prepared = bytes.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(offset), $0) }
                _ = try bytes.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: UInt64(offset), raw, prepared: prepared) }
            default:
                let ranges = [WriteRange(offset: UInt64(offset), bytes: bytes)]
                var prepared: PreparedRecordWrite?
                if case .prepared(let made) = fs.preparation(of: file, ranges: ranges) { prepared = made }
                try fs.write(file, ranges: ranges, prepared: prepared)
            }
            model.replaceSubrange(offset..<offset + count, with: bytes)
            if step % 20 == 19 { try fs.sync() }
        }
        #expect(fs.recordFormations - formedBefore >= 60)
        #expect(fs.recordCompressionTries == triesBefore)
        #expect(try Self.levels(fs, file) == [0, 0, 0, 0])
        #expect(try PreparedWriteTests.content(fs, file) == model)
        try fs.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try PreparedWriteTests.content(reopened, file) == model)
        #expect(try reopened.spaceReport().isClean)
    }

    /// A random record zeroed 4 KiB (or 1 KiB) at a time, in a scrambled order: every piece
    /// is tried, and after each one the record is stored compressed exactly when upstream's
    /// rule says so; it ends compressed. The same with compressible text-like pieces.
    @Test(arguments: [(4096, 0), (1024, 0), (4096, 95)])
    func recordsMadeCompressiblePieceByPieceEndCompressed(piece: Int, repeatShare: Int) throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        var generator = SplitMix64(state: 42)
        let (file, original) = try Self.randomFile(fs, records: 1, generator: &generator)
        var model = original
        var offsets = Array(stride(from: 0, to: Self.recordBytes, by: 4096))
        offsets.shuffle(using: &generator)
        var compressedAt: Int?
        for (step, page) in offsets.enumerated() {
            if piece < 4096 && step == 24 { break }  // small pieces: enough to show they are tried
            let bytes = repeatShare == 0 ? [UInt8](repeating: 0, count: piece) : generator.data(piece, repeatShare: repeatShare, alphabet: 4)
            let tries = fs.recordCompressionTries
            if step % 2 == 0 {
                _ = try fs.write(file, at: UInt64(page), bytes)
            } else {
                let prepared = bytes.withUnsafeBytes { fs.prepareWrite(file, at: UInt64(page), $0) }
                #expect(prepared != nil)
                _ = try bytes.withUnsafeBytes { (raw) throws(FileSystemError) in try fs.write(file, at: UInt64(page), raw, prepared: prepared) }
            }
            model.replaceSubrange(page..<page + piece, with: bytes)
            #expect(fs.recordCompressionTries == tries + 1, "step \(step): a compressible piece was not tried")
            let level = try Self.levels(fs, file)[0]
            #expect(level == Self.expectedLevel(model[...]), "step \(step)")
            if level != 0 && compressedAt == nil { compressedAt = step }
        }
        if piece == 4096 { #expect(compressedAt != nil) }
        #expect(try PreparedWriteTests.content(fs, file) == model)
    }

    /// Compressed records are tried at every rewrite (also with random pieces), as are writes
    /// of a quarter of a plain record or more and plain records that the write makes a level
    /// larger; each ends as upstream's rule says.
    @Test func compressedLargeAndGrowingRecordsAreTried() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 8192))
        var generator = SplitMix64(state: 43)
        let (file, original) = try Self.randomFile(fs, records: 2, generator: &generator)
        var model = original
        // Record 1 made compressible in one large write (tried: a quarter or more).
        let text = generator.data(Self.recordBytes, repeatShare: 95, alphabet: 4)
        var tries = fs.recordCompressionTries
        _ = try fs.write(file, at: UInt64(Self.recordBytes), text)
        model.replaceSubrange(Self.recordBytes..<2 * Self.recordBytes, with: text)
        #expect(fs.recordCompressionTries == tries + 1)
        #expect(try Self.levels(fs, file) == [0, 5])
        // Random pieces into the compressed record: each tried.
        for step in 0..<6 {
            let offset = Self.recordBytes + generator.next(below: 32) * 4096
            let bytes = generator.data(4096, repeatShare: 0, alphabet: 256)
            tries = fs.recordCompressionTries
            _ = try fs.write(file, at: UInt64(offset), bytes)
            model.replaceSubrange(offset..<offset + 4096, with: bytes)
            #expect(fs.recordCompressionTries == tries + 1, "step \(step)")
            #expect(try Self.levels(fs, file)[1] == Self.expectedLevel(model[Self.recordBytes...]), "step \(step)")
        }
        // A random write of a quarter of the plain record 0: tried (and stays plain).
        let quarter = generator.data(Self.recordBytes / 4, repeatShare: 0, alphabet: 256)
        tries = fs.recordCompressionTries
        _ = try fs.write(file, at: 4096, quarter)
        model.replaceSubrange(4096..<4096 + quarter.count, with: quarter)
        #expect(fs.recordCompressionTries == tries + 1)
        #expect(try Self.levels(fs, file)[0] == 0)
        #expect(try PreparedWriteTests.content(fs, file) == model)

        // A 12 KiB random file (one plain 16 KiB record) written 4 KiB at 60 KiB: the record
        // grows to 64 KiB of mostly zeros, tried and compressed.
        let small = try fs.create(Array("s".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        _ = try fs.write(small, at: 0, generator.data(12_288, repeatShare: 0, alphabet: 256))
        try fs.sync()
        #expect(try Self.levels(fs, small) == [0])
        tries = fs.recordCompressionTries
        _ = try fs.write(small, at: 61_440, generator.data(4096, repeatShare: 0, alphabet: 256))
        #expect(fs.recordCompressionTries == tries + 1)
        #expect(try Self.levels(fs, small) == [4])
    }

    /// The rule itself: pages are sampled, not the record; a compressible page anywhere among
    /// those written makes a try, a null or compressed old pointer always does.
    @Test func theOutlookSamplesTheWrittenPages() {
        var generator = SplitMix64(state: 44)
        var content = generator.data(Self.recordBytes, repeatShare: 0, alphabet: 256)
        let plain = BlockPointer(address: BlockAddress(index: 100, level: 5), hash: 0)
        let compressed = BlockPointer(address: BlockAddress(index: 100, level: 3, decompressionLevel: 5), hash: 0)
        let smaller = BlockPointer(address: BlockAddress(index: 100, level: 4), hash: 0)
        func worth(_ old: BlockPointer, _ changed: [Range<Int>]) -> Bool {
            content.withUnsafeBufferPointer { CompressionOutlook.isWorthTrying($0, old: old, changed: changed, codec: SystemLZ4()) }
        }
        #expect(!worth(plain, [8192..<12_288]))
        #expect(!worth(plain, [8100..<8200, 50_000..<54_096]))
        // fio's buffers: each 512-byte sector starts with its 8-byte offset (LZ4 saves ~5%).
        for sector in stride(from: 8192, to: 12_288, by: 512) {
            for k in 0..<8 { content[sector + k] = UInt8(truncatingIfNeeded: (0x63_C000 + sector) >> (8 * k)) }
        }
        #expect(!worth(plain, [8192..<12_288]))
        #expect(worth(plain, []))
        #expect(worth(.null, [8192..<12_288]))
        #expect(worth(compressed, [8192..<12_288]))
        #expect(worth(smaller, [8192..<12_288]))
        #expect(worth(plain, [0..<32_768]))
        // Zeros in the page of the second range (not the first): tried.
        for i in 53_248..<54_000 { content[i] = 0 }
        #expect(worth(plain, [8100..<8200, 53_300..<53_400]))
        #expect(!worth(plain, [8100..<8200]))
    }
}
