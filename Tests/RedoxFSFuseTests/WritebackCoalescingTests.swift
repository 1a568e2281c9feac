import Foundation
import RedoxFS
import RedoxFSTestSupport
import XCTest

/// Writeback writes gathered per record (`WriteCoalescer`): the mount answers the kernel's
/// page writes at once and forms each record once per burst. Random writes (pages, odd sizes,
/// runs, across records, past the end), interleaved with reads that reach the daemon (O_DIRECT,
/// dropped page cache), stats, truncates, fsyncs and closes, always show the model, and survive
/// a cold remount on a clean image; a burst of page writes into one record forms it once; a
/// formation that fails is reported by fsync and close.
final class WritebackCoalescingTests: MountTestCase {
    func testRandomWritesMatchTheModel() throws {
        try exerciseModel(seed: 0xC0A1, arguments: [], password: nil, recordSize: 128 << 10)
    }

    func testRandomWritesMatchTheModelEncryptedWithSmallRecords() throws {
        try exerciseModel(seed: 0xC0A2, arguments: ["-o", "record_size=16k"], password: "coalesce", recordSize: 16 << 10)
    }

    /// 16 pages into one record (every other page, so the kernel sends 16 WRITEs) form it once;
    /// without the writeback cache (each write a WRITE of its own, nothing gathered) 16 times.
    func testABurstIntoOneRecordFormsItOnce() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("burst.img"), megabytes: 64)
        var generator = SplitMix64(state: 0xB0B)
        let original = generator.bytes(4 << 17)
        for (name, arguments, expected) in [("gathered", [String](), 1), ("plain", ["-o", "no_writeback_cache"], 16)] {
            let mounted = try mount(
                image, at: name, arguments: arguments + ["--commit-interval", "0"], environment: ["REDOXFS_STATS": "1"])
            let path = mounted.mountpoint + "/" + name
            var model = original
            let descriptor = open(path, O_RDWR | O_CREAT, 0o644)
            XCTAssertGreaterThanOrEqual(descriptor, 0)
            defer { close(descriptor) }
            XCTAssertEqual(Self.pwrite(descriptor, model, at: 0), model.count)
            XCTAssertEqual(fsync(descriptor), 0)
            let before = try XCTUnwrap(Self.formations(in: mounted.log), mounted.log)
            for page in stride(from: 0, to: 32, by: 2) {
                let offset = (1 << 17) + page * 4096
                let bytes = generator.bytes(4096)
                XCTAssertEqual(Self.pwrite(descriptor, bytes, at: offset), 4096)
                model.replaceSubrange(offset..<offset + 4096, with: bytes)
            }
            XCTAssertEqual(fsync(descriptor), 0)
            let after = try XCTUnwrap(Self.formations(in: mounted.log), mounted.log)
            XCTAssertEqual(after - before, expected, "\(name): records formed for 16 pages into one record\n\(mounted.log)")
            Self.assertSame(Self.content(descriptor), model, "content")
            close(descriptor)
            try mounted.unmount()
        }
        try TestImages.assertClean(image)
    }

    /// A gathered write whose formation fails (the image is full) is reported by the file's next
    /// fsync, and by close, not dropped; once there is room again, writes go through.
    func testAFailedFormationIsReportedByFsyncAndClose() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("full.img"), megabytes: 24)
        let mounted = try mount(image, arguments: ["--commit-interval", "0"])
        let pathA = mounted.mountpoint + "/a"
        var generator = SplitMix64(state: 0xF011)
        var model = generator.bytes(4 << 17)
        var a = open(pathA, O_RDWR | O_CREAT, 0o644)
        XCTAssertEqual(Self.pwrite(a, model, at: 0), model.count)
        XCTAssertEqual(fsync(a), 0)

        // Fill the image with incompressible data until its writeback fails, then top it up
        // with 4 KiB files until one does not fit: no room is left for a 128 KiB record.
        let filler = open(mounted.mountpoint + "/filler", O_RDWR | O_CREAT, 0o644)
        var offset = 0
        while offset < 40 << 20 {
            guard Self.pwrite(filler, generator.bytes(1 << 20), at: offset) == 1 << 20 else { break }
            offset += 1 << 20
        }
        XCTAssertNotEqual(fsync(filler), 0, "the filler does not fit")
        XCTAssertEqual(close(filler), 0)
        var small = 0
        while small < 200 {
            let descriptor = open(mounted.mountpoint + "/small\(small)", O_RDWR | O_CREAT, 0o644)
            guard descriptor >= 0 else { break }
            small += 1
            let stored = Self.pwrite(descriptor, generator.bytes(4096), at: 0) == 4096 && fsync(descriptor) == 0
            close(descriptor)
            if !stored { break }
        }

        // Scattered pages into records of `a` (so the kernel sends a WRITE each, which the
        // mount answers and gathers): no room to form the records.
        func scatter(_ records: [Int]) {
            for record in records {
                for page in stride(from: 1, to: 32, by: 4) {
                    XCTAssertEqual(Self.pwrite(a, generator.bytes(4096), at: record << 17 + page * 4096), 4096)
                }
            }
        }
        scatter([1, 2])
        XCTAssertEqual(fsync(a), -1, "a failed write-back is reported by fsync")
        XCTAssertEqual(errno, ENOSPC)
        XCTAssertEqual(fsync(a), 0, "and reported once")
        scatter([3])
        // An O_DIRECT read writes the dirty pages back first (close alone leaves them to the
        // kernel's flusher); the READ hands them to the engine, which has no room. The error
        // belongs to the file: the first close of any of its descriptors reports it.
        let direct = open(pathA, O_RDONLY | Self.directFlag)
        XCTAssertGreaterThanOrEqual(direct, 0)
        _ = try Self.directContent(direct, size: model.count)
        XCTAssertEqual(close(a), -1, "a failed write-back is reported by close")
        XCTAssertEqual(errno, ENOSPC)
        XCTAssertEqual(close(direct), 0, "and reported once")

        // Room again: the same pages written once more are stored.
        XCTAssertEqual(unlink(mounted.mountpoint + "/filler"), 0)
        for index in 0..<small { unlink(mounted.mountpoint + "/small\(index)") }
        a = open(pathA, O_RDWR)
        XCTAssertEqual(fsync(a), 0)
        for record in 1...3 {
            for page in stride(from: 1, to: 32, by: 4) {
                let at = record << 17 + page * 4096
                let bytes = generator.bytes(4096)
                XCTAssertEqual(Self.pwrite(a, bytes, at: at), 4096)
                model.replaceSubrange(at..<at + 4096, with: bytes)
            }
        }
        XCTAssertEqual(fsync(a), 0)
        XCTAssertEqual(close(a), 0)
        try mounted.unmount()
        XCTAssertTrue(mounted.log.contains("failed (reported by its next fsync or close)"), mounted.log)
        let again = try mount(image, at: "again")
        Self.assertSame([UInt8](try Data(contentsOf: URL(fileURLWithPath: again.mountpoint + "/a"))), model, "after a remount")
        try again.unmount()
        try TestImages.assertClean(image)
    }

    // MARK: The model run

    /// One open file and what it must hold.
    private struct ModelFile {
        let path: String
        var descriptor: Int32
        var model: [UInt8]
    }

    private func exerciseModel(seed: UInt64, arguments: [String], password: String?, recordSize: Int) throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("model.img"), megabytes: 128, password: password)
        let mounted = try mount(image, arguments: arguments, password: password, environment: ["REDOXFS_STATS": "1"])
        var generator = SplitMix64(state: seed)
        var files: [ModelFile] = []
        for name in ["one", "two"] {
            let path = mounted.mountpoint + "/" + name
            let descriptor = open(path, O_RDWR | O_CREAT, 0o644)
            XCTAssertGreaterThanOrEqual(descriptor, 0)
            let file = ModelFile(path: path, descriptor: descriptor, model: generator.data(6 * recordSize + 1234, repeatShare: 50, alphabet: 16))
            XCTAssertEqual(Self.pwrite(descriptor, file.model, at: 0), file.model.count)
            if name == "one" { XCTAssertEqual(fsync(descriptor), 0) }
            files.append(file)
        }
        let steps = TestEnvironment.isReleaseBinary ? 900 : 400
        for step in 0..<steps {
            let index = generator.next(below: files.count)
            var file = files[index]
            let size = file.model.count
            let what = generator.next(below: 100)
            var action = ""
            switch what {
            case 0..<55:
                // Writes: bursts of pages into one record, single pages, odd sizes, runs across
                // records, past the end.
                let burst = generator.next(below: 3) == 0 ? 2 + generator.next(below: 12) : 1
                let record = generator.next(below: max(1, size / recordSize + 2))
                for _ in 0..<burst {
                    let (offset, count): (Int, Int)
                    switch generator.next(below: 5) {
                    case 0, 1: (offset, count) = (record * recordSize + generator.next(below: recordSize / 4096) * 4096, 4096)
                    case 2: (offset, count) = (record * recordSize + generator.next(below: recordSize), 1 + generator.next(below: 9000))
                    case 3: (offset, count) = ((record + 1) * recordSize - 1 - generator.next(below: 6000), 2 + generator.next(below: 12_000))
                    default: (offset, count) = (size + generator.next(below: 2 * recordSize), 1 + generator.next(below: 5000))
                    }
                    let bytes = generator.data(count, repeatShare: generator.next(below: 2) == 0 ? 90 : 0, alphabet: 256)
                    XCTAssertEqual(Self.pwrite(file.descriptor, bytes, at: offset), count, "step \(step)")
                    if offset > file.model.count { file.model += [UInt8](repeating: 0, count: offset - file.model.count) }
                    if offset + count > file.model.count { file.model += [UInt8](repeating: 0, count: offset + count - file.model.count) }
                    file.model.replaceSubrange(offset..<offset + count, with: bytes)
                }
                action = "write ×\(burst)"
            case 55..<63:
                // A read the daemon serves: dirty pages written back first, then READ requests.
                Self.assertSame(try Self.directContent(file.path, size: file.model.count), file.model, "step \(step): O_DIRECT read")
                action = "direct read"
            case 63..<68:
                _ = posix_fadvise(file.descriptor, 0, 0, POSIX_FADV_DONTNEED)
                action = "drop cache"
            case 68..<75:
                var status = stat()
                XCTAssertEqual(fstat(file.descriptor, &status), 0)
                XCTAssertEqual(Int(status.st_size), file.model.count, "step \(step): st_size")
                var named = stat()
                XCTAssertEqual(stat(file.path, &named), 0)
                XCTAssertEqual(Int(named.st_size), file.model.count, "step \(step): stat size")
                action = "stat"
            case 75..<82:
                let newSize = generator.next(below: 2) == 0 ? generator.next(below: size + 1) : size + generator.next(below: 3 * recordSize)
                XCTAssertEqual(ftruncate(file.descriptor, off_t(newSize)), 0)
                if newSize < size { file.model.removeLast(size - newSize) } else { file.model += [UInt8](repeating: 0, count: newSize - size) }
                action = "truncate to \(newSize)"
            case 82..<90:
                XCTAssertEqual(fsync(file.descriptor), 0, "step \(step)")
                action = "fsync"
            case 90..<96:
                XCTAssertEqual(close(file.descriptor), 0, "step \(step)")
                file.descriptor = open(file.path, O_RDWR)
                XCTAssertGreaterThanOrEqual(file.descriptor, 0)
                action = "close and reopen"
            default:
                let count = 1 + generator.next(below: 3 * recordSize)
                let offset = generator.next(below: size + 1)
                let end = min(size, offset + count)
                Self.assertSame(Self.pread(file.descriptor, at: offset, count: count), Array(file.model[offset..<end]), "step \(step): read")
                action = "read"
            }
            files[index] = file
            Self.assertSame(Self.content(file.descriptor), file.model, "step \(step) (\(action)): the content")
            if testRun?.failureCount ?? 0 > 0 { return }
        }
        for file in files {
            Self.assertSame(try Self.directContent(file.path, size: file.model.count), file.model, "at the end: O_DIRECT read")
            XCTAssertEqual(close(file.descriptor), 0)
        }
        try mounted.unmount()
        XCTAssertGreaterThan(Self.statistic("joined a waiting record", in: mounted.log) ?? 0, 20, "pages were gathered\n\(mounted.log)")
        let again = try mount(image, at: "again", arguments: arguments, password: password)
        for file in files {
            let path = again.mountpoint + "/" + URL(fileURLWithPath: file.path).lastPathComponent
            Self.assertSame([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), file.model, "after a cold remount: \(path)")
        }
        try again.unmount()
        try TestImages.assertClean(image, password: password)
    }

    // MARK: Helpers

    /// Fails unless `got` equals `expected`, naming the sizes and the first differing byte (never
    /// printing the bytes themselves).
    static func assertSame(_ got: [UInt8], _ expected: [UInt8], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        guard !ByteComparison.same(got, expected) else { return }
        let common = min(got.count, expected.count)
        let first = (0..<common).first { got[$0] != expected[$0] } ?? common
        XCTFail("\(message): \(got.count) bytes, expected \(expected.count); first difference at \(first)", file: file, line: line)
    }

    static func pwrite(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int) -> Int {
        bytes.withUnsafeBytes { Glibc.pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
    }

    static func pread(_ descriptor: Int32, at offset: Int, count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let done = buffer.withUnsafeMutableBytes { Glibc.pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        return Array(buffer[0..<max(0, done)])
    }

    /// The whole file through `descriptor` (the page cache).
    static func content(_ descriptor: Int32) -> [UInt8] {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return [] }
        return pread(descriptor, at: 0, count: Int(status.st_size) + 1)
    }

    /// O_DIRECT (linux/fcntl.h; not exported by Glibc's module).
    #if arch(x86_64)
    static let directFlag: Int32 = 0o40000
    #else
    static let directFlag: Int32 = 0o200000
    #endif

    /// The file read with O_DIRECT: the kernel writes its dirty pages back, then asks the daemon.
    static func directContent(_ path: String, size: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | directFlag)
        guard descriptor >= 0 else { throw MountedImage.Failure(description: "O_DIRECT open failed: errno \(errno)") }
        defer { close(descriptor) }
        return try directContent(descriptor, size: size)
    }

    /// The file read through `descriptor`, opened with O_DIRECT.
    static func directContent(_ descriptor: Int32, size: Int) throws -> [UInt8] {
        let capacity = (size + 8192) / 4096 * 4096
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 4096)
        defer { buffer.deallocate() }
        var done = 0
        while done < capacity {
            let got = Glibc.pread(descriptor, buffer.baseAddress! + done, capacity - done, off_t(done))
            guard got > 0 else {
                if got < 0 { throw MountedImage.Failure(description: "O_DIRECT read failed: errno \(errno)") }
                break
            }
            done += got
        }
        return Array(buffer[0..<done])
    }

    /// The figure before `label` in the daemon's last `REDOXFS_STATS` line.
    static func statistic(_ label: String, in log: String) -> Int? {
        guard let line = log.split(separator: "\n").last(where: { $0.contains(label) }),
              let end = line.range(of: " " + label) else { return nil }
        return Int(String(line[..<end.lowerBound].reversed().prefix { $0.isNumber }.reversed()))
    }

    /// The engine's record formations in the daemon's last `REDOXFS_STATS` line.
    static func formations(in log: String) -> Int? {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("records formed") }),
              let colon = line.range(of: "): ") else { return nil }
        return Int(line[colon.upperBound...].prefix { $0.isNumber })
    }
}
