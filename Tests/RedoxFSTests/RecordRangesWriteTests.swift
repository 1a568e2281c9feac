@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// Several writes into one record made as one (`write(_:ranges:prepared:)`, what the FUSE mount
/// does with the writeback's gathered pages): the content is that of the writes made one after
/// another, the record is formed once, prepared or not, and ranges outside one record, past the
/// end, in holes and in inline files fall back to writing each range.
@Suite struct RecordRangesWriteTests {
    /// Random groups of ranges at every record size, written as one on one engine (prepared
    /// every other time) and one by one on another: the same content after each group, one
    /// formation per group that lies in one existing record; both reopen clean.
    @Test(arguments: RecordSize.all)
    func rangesWriteWhatSingleWritesWrite(recordSize: RecordSize) throws {
        let deviceA = MemoryDevice(blockCount: 8192)
        let a = try FileSystem.format(device: deviceA)
        let b = try FileSystem.format(device: MemoryDevice(blockCount: 8192))
        var generatorA = SplitMix64(state: 31)
        var generatorB = SplitMix64(state: 31)
        let (fileA, original) = try PreparedWriteTests.makeFile(a, recordSize: recordSize, records: 12, generator: &generatorA)
        let (fileB, _) = try PreparedWriteTests.makeFile(b, recordSize: recordSize, records: 12, generator: &generatorB)
        var model = original
        var generator = SplitMix64(state: 9)
        let size = Int(recordSize.bytes)
        var preparedCount = 0
        for step in 0..<80 {
            let record = generator.next(below: model.count / size + 2)
            var ranges: [WriteRange] = []
            for _ in 0..<(1 + generator.next(below: 8)) {
                let count = 1 + generator.next(below: min(size, 6000))
                var offset = record * size + generator.next(below: size - count + 1)
                if generator.next(below: 10) == 0 { offset = record * size + size - count / 2 - 1 }  // across the record's end
                let bytes = generator.data(count, repeatShare: step % 3 == 0 ? 90 : 0, alphabet: step % 3 == 0 ? 4 : 256)
                ranges.append(WriteRange(offset: UInt64(offset), bytes: bytes))
            }
            let inOneRecord = ranges.allSatisfy { Int($0.offset) / size == record && (Int($0.offset) + $0.bytes.count - 1) / size == record }
            var prepared: PreparedRecordWrite?
            if step % 2 == 0, case .prepared(let made) = a.preparation(of: fileA, ranges: ranges) { prepared = made }
            if prepared != nil {
                preparedCount += 1
                #expect(inOneRecord)
            }
            let before = a.recordFormations
            try a.write(fileA, ranges: ranges, prepared: prepared)
            let formed = a.recordFormations - before
            if inOneRecord && record < original.count / size {
                #expect(formed <= 1, "step \(step): \(ranges.count) ranges in one record formed \(formed) times")
            }
            for range in ranges {
                _ = try b.write(fileB, at: range.offset, range.bytes)
                let offset = Int(range.offset)
                if offset + range.bytes.count > model.count { model += [UInt8](repeating: 0, count: offset + range.bytes.count - model.count) }
                model.replaceSubrange(offset..<offset + range.bytes.count, with: range.bytes)
            }
            #expect(try PreparedWriteTests.content(a, fileA) == model, "step \(step)")
            #expect(try PreparedWriteTests.content(b, fileB) == model, "step \(step)")
            if step % 20 == 19 { try a.sync() }
        }
        #expect(preparedCount > 10)
        try a.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: deviceA.bytes))
        #expect(try PreparedWriteTests.content(reopened, fileA) == model)
        #expect(try reopened.spaceReport().isClean)
    }

    /// A prepared group that no longer applies (another write came first) is made again; a
    /// group into an inline file, a hole and past the end is written as the single writes would.
    @Test func staleAndSpecialGroups() throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device)
        var generator = SplitMix64(state: 12)
        let (file, original) = try PreparedWriteTests.makeFile(fs, recordSize: .upstream, records: 3, generator: &generator)
        var model = original
        func apply(_ ranges: [WriteRange], to model: inout [UInt8]) {
            for range in ranges {
                let offset = Int(range.offset)
                if offset + range.bytes.count > model.count { model += [UInt8](repeating: 0, count: offset + range.bytes.count - model.count) }
                model.replaceSubrange(offset..<offset + range.bytes.count, with: range.bytes)
            }
        }
        let group = [4096, 12_288, 8192].map { WriteRange(offset: UInt64(131_072 + $0), bytes: generator.bytes(4096)) }
        guard case .prepared(let prepared) = fs.preparation(of: file, ranges: group) else {
            Issue.record("a group inside one record is prepared")
            return
        }
        let other = generator.bytes(100)
        _ = try fs.write(file, at: 131_072 + 70_000, other)
        apply([WriteRange(offset: 131_072 + 70_000, bytes: other)], to: &model)
        try fs.write(file, ranges: group, prepared: prepared)
        apply(group, to: &model)
        #expect(try PreparedWriteTests.content(fs, file) == model)

        // Past the end and into a hole: nothing to prepare, written all the same.
        try fs.truncate(file, to: UInt64(model.count + 3 * 131_072))
        model += [UInt8](repeating: 0, count: 3 * 131_072)
        let hole = (model.count / 131_072 - 1) * 131_072
        let late = [WriteRange(offset: UInt64(hole + 5), bytes: generator.bytes(50)), WriteRange(offset: UInt64(hole + 9000), bytes: [0, 0, 0])]
        if case .prepared = fs.preparation(of: file, ranges: late) { Issue.record("a hole is not prepared") }
        try fs.write(file, ranges: late)
        apply(late, to: &model)
        let beyond = [WriteRange(offset: UInt64(model.count + 100), bytes: generator.bytes(10)),
                      WriteRange(offset: UInt64(model.count + 300_000), bytes: generator.bytes(10))]
        try fs.write(file, ranges: beyond)
        apply(beyond, to: &model)
        #expect(try PreparedWriteTests.content(fs, file) == model)

        // An inline file that outgrows its node.
        let small = try fs.create(Array("s".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        var smallModel: [UInt8] = []
        let inline = [WriteRange(offset: 0, bytes: [1, 2, 3]), WriteRange(offset: 10, bytes: generator.bytes(20)),
                      WriteRange(offset: 2000, bytes: generator.bytes(5000))]
        try fs.write(small, ranges: inline)
        apply(inline, to: &smallModel)
        #expect(try PreparedWriteTests.content(fs, small) == smallModel)

        try fs.sync()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try PreparedWriteTests.content(reopened, file) == model)
        #expect(try PreparedWriteTests.content(reopened, small) == smallModel)
        #expect(try reopened.spaceReport().isClean)
    }

    /// The merge of several ranges equals writing them one after another into the record padded
    /// with zeros to the level holding the furthest end; nil only when nothing changes.
    @Test func rangesMergeMatchesTheRule() {
        var generator = SplitMix64(state: 13)
        for _ in 0..<300 {
            let contentSize = [0, 4096, 16_384, 131_072][generator.next(below: 4)]
            let content = generator.data(contentSize, repeatShare: 50, alphabet: 3)
            var ranges: [WriteRange] = []
            var expected = content
            for _ in 0..<(1 + generator.next(below: 5)) {
                let within = generator.next(below: 131_072)
                let count = 1 + generator.next(below: min(9000, 131_072 - within))
                let bytes = generator.next(below: 3) == 0 && within + count <= contentSize
                    ? Array(content[within..<within + count]) : generator.data(count, repeatShare: 50, alphabet: 2)
                ranges.append(WriteRange(offset: UInt64(262_144 + within), bytes: bytes))
            }
            let end = ranges.map { Int($0.offset) - 262_144 + $0.bytes.count }.max()!
            let wanted = 4096 << Int(BlockLevel.forBytes(end))
            if expected.count < wanted { expected += [UInt8](repeating: 0, count: wanted - expected.count) }
            let padded = expected
            for range in ranges {
                let within = Int(range.offset) - 262_144
                expected.replaceSubrange(within..<within + range.bytes.count, with: range.bytes)
            }
            var merged = content
            let changed = RecordMerge.merge(&merged, ranges: ranges, recordStart: 262_144, evenIfSame: false)
            if expected == padded {
                // (Ranges that undo each other may still give the record, unchanged.)
                #expect(changed ? merged == expected : merged == content)
            } else {
                #expect(changed && merged == expected)
            }
        }
    }
}
