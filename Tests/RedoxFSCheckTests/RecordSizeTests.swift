import RedoxFS
import RedoxFSCheck
import RedoxFSEngine
import RedoxFSTestSupport
import Testing

/// Regular files at every record size (4 KiB … 128 KiB): random writes, truncates and hole
/// punches compared with an in-memory model, across commits and reopenings, then a clean fsck.
@Suite struct RecordSizeTests {
    /// A file's expected content: its size and the 4 KiB pages that may hold non-zero bytes.
    struct Model {
        var size: UInt64 = 0
        var pages: [UInt64: [UInt8]] = [:]

        static let page = UInt64(4096)

        func byte(at offset: UInt64) -> UInt8 {
            guard offset < size, let page = pages[offset / Self.page] else { return 0 }
            return page[Int(offset % Self.page)]
        }

        mutating func write(_ bytes: [UInt8], at offset: UInt64) {
            for (i, byte) in bytes.enumerated() {
                let position = offset + UInt64(i)
                let index = position / Self.page
                if pages[index] == nil {
                    if byte == 0 { continue }
                    pages[index] = [UInt8](repeating: 0, count: Int(Self.page))
                }
                pages[index]![Int(position % Self.page)] = byte
            }
            size = max(size, offset + UInt64(bytes.count))
        }

        mutating func truncate(to newSize: UInt64) {
            if newSize < size {
                for index in Array(pages.keys) where index * Self.page >= newSize { pages[index] = nil }
                if let index = Optional(newSize / Self.page), var page = pages[index] {
                    for i in Int(newSize % Self.page)..<Int(Self.page) { page[i] = 0 }
                    pages[index] = page
                }
            }
            size = newSize
        }

        mutating func punch(_ offset: UInt64, _ length: UInt64) {
            let end = min(size, offset + length)
            guard offset < end else { return }
            write([UInt8](repeating: 0, count: Int(end - offset)), at: offset)
        }
    }

    /// Content of three kinds: random (stored plain), text (compressed) and zeros (holes).
    static func content(_ count: Int, random: inout SplitMix64) -> [UInt8] {
        switch random.next() % 3 {
        case 0: return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 1:
            let line = Array("record size \(random.next() % 1000) keeps its bytes\n".utf8)
            return (0..<count).map { line[$0 % line.count] }
        default: return [UInt8](repeating: 0, count: count)
        }
    }

    static func verify(_ fs: FileSystem, _ id: UInt32, _ model: Model, random: inout SplitMix64) throws {
        let node = try fs.node(id)
        #expect(node.size == model.size)
        var offsets = Set(model.pages.keys.map { $0 * Model.page })
        for _ in 0..<24 where model.size > 0 { offsets.insert(random.next() % model.size / Model.page * Model.page) }
        if model.size > 0 { offsets.insert((model.size - 1) / Model.page * Model.page) }
        for offset in offsets.sorted() where offset < model.size {
            let expected = (offset..<min(model.size, offset + Model.page)).map { model.byte(at: $0) }
            let got = try fs.read(id, at: offset, count: Int(Model.page))
            #expect(got == expected, "bytes at \(offset) of \(model.size)")
            if got != expected { return }
        }
    }

    @Test(arguments: RecordSize.all)
    func randomPatternMatchesTheModel(size: RecordSize) throws {
        let device = MemoryDevice(blockCount: 32768)
        var fs = try FileSystem.format(device: device)
        fs.fileRecordSize = size
        let id = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let other = try fs.create(Array("g".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        #expect(try fs.node(id).recordLevel == size.level)
        fs.fileRecordSize = .upstream
        let later = try fs.create(Array("h".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        #expect(try fs.node(later).recordLevel == RecordSize.upstream.level, "a later setting applies to later files only")
        #expect(try fs.node(id).recordLevel == size.level)
        let directory = try fs.create(Array("d".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        #expect(try fs.node(directory).recordLevel == 0)

        var random = SplitMix64(state: 0x5EC0 + UInt64(size.level))
        var model = Model()
        let record = size.bytes
        // Past the 128 direct records and the first BlockList tier, so that two BlockList levels are used.
        let far = 16_600 * record
        for step in 0..<160 {
            switch random.next() % 10 {
            case 0...5:
                // Writes from a few bytes (inline at first) to three records, across record boundaries.
                let base = random.next() % 8 == 0 ? far : 0
                let offset = base + random.next() % (24 * record)
                let count = Int(random.next() % 3 == 0 ? random.next() % 200 + 1 : random.next() % (3 * record) + 1)
                let bytes = Self.content(count, random: &random)
                #expect(try fs.write(id, at: offset, bytes) == count)
                model.write(bytes, at: offset)
            case 6:
                let newSize = random.next() % 2 == 0 ? random.next() % (model.size + 1) : random.next() % (30 * record)
                try fs.truncate(id, to: newSize)
                model.truncate(to: newSize)
            case 7:
                let offset = random.next() % (model.size + 1)
                let length = random.next() % (4 * record) + 1
                try fs.punchHole(id, at: offset, length: length)
                model.punch(offset, length)
            case 8:
                try fs.write(other, at: random.next() % (8 * record), Self.content(Int(random.next() % record) + 1, random: &random))
            default:
                try fs.sync()
                if step % 3 == 0 {
                    fs.close()
                    fs = try FileSystem(device: device, writable: true)
                }
            }
            if step % 16 == 15 { try Self.verify(fs, id, model, random: &random) }
        }
        try fs.sync()
        try Self.verify(fs, id, model, random: &random)
        try fs.unmount()
        let again = try FileSystem(device: device)
        #expect(try again.node(id).recordLevel == size.level)
        try Self.verify(again, id, model, random: &random)
        again.close()

        let report = try FileSystemChecker.check(device: device, options: CheckOptions(scrub: true))
        #expect(report.errors == 0 && report.warnings == 0, "\(report.problems.prefix(5).map(\.message))")
    }

    @Test func parsesMountOptionValues() {
        #expect(RecordSize(parsing: "4k")?.level == 0)
        #expect(RecordSize(parsing: "8K")?.level == 1)
        #expect(RecordSize(parsing: "16KiB")?.level == 2)
        #expect(RecordSize(parsing: "32kb")?.level == 3)
        #expect(RecordSize(parsing: "65536")?.level == 4)
        #expect(RecordSize(parsing: "128k") == .upstream)
        for bad in ["", "k", "3k", "256k", "1m", "4 k", "-4k", "4kx", "99999999999999999999k", "2048"] {
            #expect(RecordSize(parsing: bad) == nil, "\(bad)")
        }
        #expect(RecordSize.all.map(\.description) == ["4k", "8k", "16k", "32k", "64k", "128k"])
    }
}
