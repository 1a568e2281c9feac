import Foundation
import Glibc
import RedoxFS
import RedoxFSFuse
import RedoxFSTestSupport
import XCTest

/// `notify_store` (`RecordPageStore`): after a small random read the daemon pushes the rest of the
/// verified 128 KiB record into the kernel's page cache. Reads return the model's bytes (also past
/// the direct pointers, at the end of the file, encrypted); the second read in a record reaches
/// no daemon (and does with `-o no_notify_store`); writers, truncates and reads mixed on one file
/// always read the model, also after a cold remount.
final class RecordPageStoreTests: MountTestCase {
    static let page = 4096
    /// 20 MiB and a partial page: past the 128 direct records (16 MiB at 128 KiB records).
    static let fileSize = (20 << 20) + 1000

    /// Page `index`'s bytes in the pattern: its number, then bytes that differ from page to page.
    static func pattern(_ index: Int, round: Int = 0) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: page)
        var seed = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(round) &* 0xD1B5_4A32_D192_ED03
        // Eight bytes per store (a byte at a time was most of several mount tests' CPU in a
        // debug build); the same bytes.
        bytes.withUnsafeMutableBytes { raw in
            for offset in stride(from: 0, to: page, by: 8) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                raw.storeBytes(of: seed.littleEndian, toByteOffset: offset, as: UInt64.self)
            }
            raw.storeBytes(of: UInt32(index).littleEndian, toByteOffset: 0, as: UInt32.self)
        }
        return bytes
    }

    static func model(size: Int = fileSize) -> [UInt8] {
        var model: [UInt8] = []
        model.reserveCapacity(size + page)
        var index = 0
        while model.count < size {
            model += pattern(index)
            index += 1
        }
        return Array(model[0..<size])
    }

    /// Writes the model file `f` on a fresh mount of `image` and unmounts.
    func writeModel(_ image: String, password: String?, model: [UInt8]) throws {
        let mounted = try mount(image, at: "fill", password: password)
        XCTAssertTrue(FileManager.default.createFile(atPath: mounted.mountpoint + "/f", contents: Data(model)))
        try mounted.unmount()
    }

    /// Opens `path` read-only for random reads (no readahead, as fio does).
    func openRandom(_ path: String) -> Int32 {
        let descriptor = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_RANDOM)
        return descriptor
    }

    func readPage(_ descriptor: Int32, _ index: Int, count: Int = page) -> [UInt8] {
        Self.readPage(descriptor, index, count: count)
    }

    static func readPage(_ descriptor: Int32, _ index: Int, count: Int = page) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let done = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(index * Self.page)) }
        return done < 0 ? [] : Array(buffer[0..<done])
    }

    /// READ requests the daemon got so far (its `--debug` log).
    func readRequests(_ mounted: MountedImage) -> Int {
        mounted.log.components(separatedBy: "opcode: READ (").count - 1
    }

    /// The daemon's `notify_store: N stores, P pages, D changes deferred` line (`--debug`, at
    /// unmount), printed; fails unless some stores were made.
    func assertStores(_ mounted: MountedImage, file: StaticString = #filePath, line: UInt = #line) {
        let summary = mounted.log.split(separator: "\n").last { $0.contains("notify_store: ") }.map(String.init) ?? ""
        print(summary)
        XCTAssertTrue(summary.contains(" stores") && !summary.contains(": 0 stores"), "no stores: \(summary)", file: file, line: line)
    }

    /// Whether page `index` of `descriptor`'s file is in the page cache (mincore).
    func isCached(_ descriptor: Int32, page index: Int, fileSize: Int) -> Bool {
        guard let map = mmap(nil, fileSize, PROT_READ, MAP_SHARED, descriptor, 0), map != MAP_FAILED else { return false }
        defer { munmap(map, fileSize) }
        var vector = [UInt8](repeating: 0, count: (fileSize + Self.page - 1) / Self.page)
        guard mincore(map, fileSize, &vector) == 0 else { return false }
        return vector[index] & 1 != 0
    }

    // MARK: Content

    func testRandomReadsReturnTheModel() throws {
        try checkRandomReads(password: nil)
    }

    func testRandomReadsReturnTheModelEncrypted() throws {
        try checkRandomReads(password: "store words")
    }

    func checkRandomReads(password: String?) throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("content.img"), megabytes: 96, password: password)
        let model = Self.model()
        try writeModel(image, password: password, model: model)

        let mounted = try mount(image, at: "cold", arguments: ["--debug"], password: password)
        let descriptor = openRandom(mounted.mountpoint + "/f")
        defer { close(descriptor) }
        let pages = (Self.fileSize + Self.page - 1) / Self.page
        var random = SplitMix64(state: password == nil ? 0x5702E : 0xE7C4)
        // The page before the last first: its store covers the partial last page.
        var order = [pages - 2, pages - 1]
        for _ in 0..<1500 { order.append(Int(random.next() % UInt64(pages))) }
        for index in order {
            let start = index * Self.page
            let expected = Array(model[start..<min(start + Self.page, Self.fileSize)])
            let got = readPage(descriptor, index)
            if got != expected {
                XCTFail("page \(index): \(got.count) bytes, not the model's \(expected.count)")
                break
            }
        }
        // The kernel's size is the file's: reads at and past the end give nothing.
        var info = stat()
        XCTAssertEqual(fstat(descriptor, &info), 0)
        XCTAssertEqual(Int(info.st_size), Self.fileSize)
        XCTAssertEqual(readPage(descriptor, pages).count, 0)
        XCTAssertEqual(readPage(descriptor, pages + 40).count, 0)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: mounted.mountpoint + "/f")[.size] as? Int, Self.fileSize)
        // Fewer READs than reads: the stores answered the rest.
        let requests = readRequests(mounted)
        XCTAssertLessThan(requests, order.count * 3 / 4, "\(requests) READ requests for \(order.count) reads")
        close(descriptor)
        try mounted.unmount()
        assertStores(mounted)
        try TestImages.assertClean(image, password: password)
    }

    // MARK: Stores happen

    func testOptionParsesAndIsDocumented() throws {
        XCTAssertTrue(try MountCommandLine.parse(["disk.img", "/mnt"]).notifyStore)
        XCTAssertFalse(try MountCommandLine.parse(["-o", "rw,no_notify_store", "disk.img", "/mnt"]).notifyStore)
        XCTAssertTrue(try MountCommandLine.parse(["-o", "no_notify_store,notify_store", "disk.img", "/mnt"]).notifyStore)
        XCTAssertTrue(MountCommandLine.usage.contains("no_notify_store"))
    }

    func testSecondReadInARecordReachesNoDaemon() throws {
        let requests = try readsInOneRecord(arguments: [], storeExpected: true)
        XCTAssertEqual(requests.first, 1, "the first read of a cold record is one READ")
        XCTAssertEqual(requests.second, requests.first, "the second read in the record was a page-cache hit")
        XCTAssertEqual(requests.afterAnother, requests.first + 1)
    }

    func testWithoutNotifyStoreTheSecondReadIsARequest() throws {
        let requests = try readsInOneRecord(arguments: ["-o", "no_notify_store"], storeExpected: false)
        XCTAssertEqual(requests.first, 1)
        XCTAssertEqual(requests.second, 2, "without stores the second read in the record is a READ")
    }

    func testOneWorkerThreadMakesNoStores() throws {
        // A store waits for pages other READs hold; with one worker nobody would answer them.
        let requests = try readsInOneRecord(arguments: ["--threads", "1"], storeExpected: false)
        XCTAssertEqual(requests.first, 1)
        XCTAssertEqual(requests.second, 2, "with one worker the second read in the record is a READ")
    }

    /// The stores run on a thread of their own at the lowest priority (`RecordPageStore.storeLater`),
    /// not on the worker that answered the READ: once a store has put a page, the daemon has a
    /// thread at nice 19 (the workers stay at the daemon's own).
    func testStoresRunOnALowPriorityThread() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("nice.img"), megabytes: 64)
        let size = 1 << 20
        let model = Self.model(size: size)
        try writeModel(image, password: nil, model: model)
        let mounted = try mount(image, at: "nice", arguments: ["--debug"])
        let descriptor = openRandom(mounted.mountpoint + "/f")
        defer { close(descriptor) }
        XCTAssertEqual(readPage(descriptor, 64 + 3), Array(model[(64 + 3) * 4096..<(64 + 4) * 4096]))
        // The store follows the reply (a hang guard bounds the wait on a loaded machine).
        for _ in 0..<30_000 where !isCached(descriptor, page: 64 + 9, fileSize: size) { usleep(20_000) }
        XCTAssertTrue(isCached(descriptor, page: 64 + 9, fileSize: size), "the rest of the record was stored")
        let nices = Self.threadNiceValues(of: mounted.process.processIdentifier)
        // The daemon starts at this process's nice value (a test run under `nice` shifts both).
        let own = Int(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        XCTAssertTrue(nices.contains(19), "no thread at nice 19 among \(nices)")
        XCTAssertTrue(own >= 19 || nices.contains(own), "no thread kept the daemon's nice value \(own): \(nices)")
        XCTAssertTrue(own >= 19 || nices.contains(where: { $0 != 19 }), "every thread at nice 19: \(nices)")
        close(descriptor)
        try mounted.unmount()
        assertStores(mounted)
    }

    /// The nice value of each thread of process `pid` (/proc/PID/task/TID/stat, field 19).
    static func threadNiceValues(of pid: Int32) -> [Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // Fields after the command's closing parenthesis start at field 3 (the state).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        }
    }

    /// READ requests after a read of page 3 of record 2, after page 9 of it, and after a page
    /// of record 5. The store follows the reply on a daemon thread: when one is expected, the
    /// second read waits until page 9 is cached, however long a loaded machine takes (ten minutes
    /// at most: a hang guard); when none is, it gives a wrong store two seconds to show up.
    func readsInOneRecord(arguments: [String], storeExpected: Bool) throws -> (first: Int, second: Int, afterAnother: Int) {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("count.img"), megabytes: 64)
        let size = 1 << 20
        let model = Self.model(size: size)
        try writeModel(image, password: nil, model: model)
        let mounted = try mount(image, at: "cold", arguments: ["--debug"] + arguments)
        let descriptor = openRandom(mounted.mountpoint + "/f")
        defer { close(descriptor) }
        let before = readRequests(mounted)
        XCTAssertEqual(readPage(descriptor, 64 + 3), Array(model[(64 + 3) * 4096..<(64 + 4) * 4096]))
        let first = readRequests(mounted) - before
        let polls = storeExpected ? 30_000 : 100
        for _ in 0..<polls where !isCached(descriptor, page: 64 + 9, fileSize: size) { usleep(20_000) }
        XCTAssertEqual(readPage(descriptor, 64 + 9), Array(model[(64 + 9) * 4096..<(64 + 10) * 4096]))
        let second = readRequests(mounted) - before
        XCTAssertEqual(readPage(descriptor, 160 + 1), Array(model[(160 + 1) * 4096..<(160 + 2) * 4096]))
        let afterAnother = readRequests(mounted) - before
        close(descriptor)
        try mounted.unmount()
        return (first, second, afterAnother)
    }

    // MARK: Safety

    /// One thread, so the model is exact after every step; the daemon's stores still run after
    /// their replies, beside the next step (an open for writing, a truncate by path).
    func testWritersAndTruncatesBetweenReadsMatchTheModel() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("mixed.img"), megabytes: 128)
        var model = Self.model(size: 6 << 20)
        try writeModel(image, password: nil, model: model)
        var mounted = try mount(image, at: "mixed", arguments: ["--debug"])
        let path = mounted.mountpoint + "/f"
        let reader = openRandom(path)
        var random = SplitMix64(state: 0xA11CE)
        var round = 0
        func check(_ index: Int, _ descriptor: Int32, _ step: Int) -> Bool {
            let start = index * Self.page
            let expected = start < model.count ? Array(model[start..<min(start + Self.page, model.count)]) : []
            let got = readPage(descriptor, index)
            if got != expected {
                XCTFail("step \(step): page \(index) of \(model.count) bytes: \(got.count) bytes read, not the model's")
                return false
            }
            return true
        }
        steps: for step in 0..<2500 {
            let pages = max(1, (model.count + Self.page - 1) / Self.page)
            switch random.next() % 10 {
            case 0..<6:
                // Reads: a few pages, some in the same record as the last.
                let base = Int(random.next() % UInt64(pages + 4))
                for delta in [0, 5, 17] where !check(base + delta, reader, step) { break steps }
            case 6, 7:
                // A writer: open, write pages (some past the end), read through the writer, close.
                round += 1
                let writer = open(path, O_RDWR)
                XCTAssertGreaterThanOrEqual(writer, 0)
                for _ in 0..<Int(random.next() % 6 + 1) {
                    let index = Int(random.next() % UInt64(pages + 8))
                    let bytes = Self.pattern(index, round: round)
                    let written = bytes.withUnsafeBytes { pwrite(writer, $0.baseAddress, Self.page, off_t(index * Self.page)) }
                    XCTAssertEqual(written, Self.page)
                    let start = index * Self.page
                    if model.count < start + Self.page { model += [UInt8](repeating: 0, count: start + Self.page - model.count) }
                    model.replaceSubrange(start..<start + Self.page, with: bytes)
                    if !check(Int(random.next() % UInt64(pages)), reader, step) { close(writer); break steps }
                }
                close(writer)
            case 8:
                // truncate(2) by path (a SETATTR of the size without an open writer), down or up.
                let size = Int(random.next() % UInt64(8 << 20))
                XCTAssertEqual(truncate(path, off_t(size)), 0)
                if size < model.count {
                    model.removeSubrange(size...)
                } else {
                    model += [UInt8](repeating: 0, count: size - model.count)
                }
            default:
                // ftruncate through a writer, then a read at the new end.
                let writer = open(path, O_WRONLY)
                let size = Int(random.next() % UInt64(8 << 20))
                XCTAssertEqual(ftruncate(writer, off_t(size)), 0)
                close(writer)
                if size < model.count {
                    model.removeSubrange(size...)
                } else {
                    model += [UInt8](repeating: 0, count: size - model.count)
                }
                if !check(size / Self.page, reader, step) { break steps }
            }
            var info = stat()
            XCTAssertEqual(fstat(reader, &info), 0)
            if Int(info.st_size) != model.count {
                XCTFail("step \(step): size \(info.st_size), the model's \(model.count)")
                break
            }
        }
        close(reader)
        try mounted.unmount()
        assertStores(mounted)
        mounted = try mount(image, at: "again")
        let final = try Data(contentsOf: URL(fileURLWithPath: mounted.mountpoint + "/f"))
        XCTAssertEqual(final.count, model.count)
        XCTAssertTrue(final == Data(model), "the file after a cold remount differs from the model")
        try mounted.unmount()
        try TestImages.assertClean(image)
    }

    /// A reader thread reads random pages while a writer thread opens the file, writes whole
    /// rounds of pages and truncates; each round's pages carry the round number, so every page
    /// the reader gets must be some round's page at that index (or zeros past a cut), never a mix.
    func testConcurrentReaderSeesOnlyWholePages() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("threads.img"), megabytes: 96)
        let pages = 1024
        try writeModel(image, password: nil, model: Self.model(size: pages * Self.page))
        let mounted = try mount(image, at: "threads", arguments: ["--debug"])
        let path = mounted.mountpoint + "/f"
        let done = AtomicFlag()
        let failures = FailureLog()
        let rounds = 40
        // Every page any round can hold, to recognise what the reader reads.
        // (Arrays compared with memcmp: hashing 43,008 pages into sets took most of the test's
        // CPU in a debug build.)
        let known: [[[UInt8]]] = (0..<pages).map { index in
            [Self.pattern(index), [UInt8](repeating: 0, count: Self.page)] + (1...rounds).map { Self.pattern(index, round: $0) }
        }
        let readerThread = Thread {
            let descriptor = open(path, O_RDONLY)
            _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_RANDOM)
            var random = SplitMix64(state: 7)
            while !done.value {
                let index = Int(random.next() % UInt64(pages))
                let got = Self.readPage(descriptor, index)
                if !got.isEmpty && got.count == Self.page && !known[index].contains(where: { ByteComparison.same($0, got) }) {
                    failures.add("page \(index): bytes of no round")
                }
            }
            close(descriptor)
        }
        readerThread.start()
        var random = SplitMix64(state: 11)
        var model = Self.model(size: pages * Self.page)
        for round in 1...rounds {
            let writer = open(path, O_RDWR)
            for _ in 0..<40 {
                let index = Int(random.next() % UInt64(pages))
                let bytes = Self.pattern(index, round: round)
                _ = bytes.withUnsafeBytes { pwrite(writer, $0.baseAddress, Self.page, off_t(index * Self.page)) }
                model.replaceSubrange(index * Self.page..<(index + 1) * Self.page, with: bytes)
            }
            if round % 5 == 0 {
                let cut = Int(random.next() % UInt64(pages)) * Self.page
                XCTAssertEqual(ftruncate(writer, off_t(cut)), 0)
                XCTAssertEqual(ftruncate(writer, off_t(pages * Self.page)), 0)
                for i in cut..<model.count { model[i] = 0 }
            }
            close(writer)
            // No writer now: whatever the reader's stores pushed must be the model.
            let checker = openRandom(path)
            for _ in 0..<20 {
                let index = Int(random.next() % UInt64(pages))
                if readPage(checker, index) != Array(model[index * Self.page..<(index + 1) * Self.page]) {
                    failures.add("round \(round): page \(index) differs from the model after the writer closed")
                }
            }
            // Cold again, so the reader's next reads are READs with stores racing the next open.
            _ = posix_fadvise(checker, 0, 0, POSIX_FADV_DONTNEED)
            close(checker)
        }
        done.set()
        while !readerThread.isFinished { usleep(10_000) }
        XCTAssertTrue(failures.all.isEmpty, failures.all.prefix(5).joined(separator: "\n"))
        let descriptor = openRandom(path)
        for index in 0..<pages where readPage(descriptor, index) != Array(model[index * Self.page..<(index + 1) * Self.page]) {
            XCTFail("page \(index) differs from the model after the writer closed")
            break
        }
        close(descriptor)
        try mounted.unmount()
        assertStores(mounted)
        try TestImages.assertClean(image)
    }
}
