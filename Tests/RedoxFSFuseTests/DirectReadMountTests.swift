import Foundation
import Glibc
import RedoxFS
import RedoxFSFuse
import RedoxFSTestSupport
import XCTest

/// `-o direct_reads` (off by default): the records of small random READs and of writes'
/// read-modify-write are read with O_DIRECT when the image's page cache does not hold them. The
/// bytes are the model's, plain and encrypted, on a cold image; records read, then written, then
/// read again (before the commit, from the open transaction; after it, from the image past its
/// dropped page cache; after a cold remount) are the model's; the daemon's `--debug` summary
/// counts direct reads with the option and none without it, nor for records under 32 KiB.
final class DirectReadMountTests: MountTestCase {
    typealias Model = RecordPageStoreTests
    static let page = 4096
    /// 20 MiB and a partial page: past the 128 direct records (16 MiB at 128 KiB records).
    static let fileSize = (20 << 20) + 1000

    /// Where the images go: a disk file system (the scratch folder is on tmpfs, whose pages are
    /// always in the page cache, so that every read there is buffered).
    private var imageFolder: String?

    /// Whether this machine reads image files direct (`Fixtures.directReadFolder`): a kernel
    /// without `cachestat` or a temporary folder only in memory reads every record buffered, and
    /// the tests then check the bytes without counting direct reads.
    static let machineReadsDirect = Fixtures.directReadFolder != nil

    override func setUpWithError() throws {
        try super.setUpWithError()
        imageFolder = try makeDiskFolder("redoxfs-direct")
    }

    func imagePath(_ name: String) throws -> String {
        "\(try XCTUnwrap(imageFolder))/\(name)"
    }

    /// Writes the model file `f` on a fresh mount of `image`, unmounts, and drops the image from
    /// the page cache.
    func writeModel(_ image: String, password: String?, model: [UInt8]) throws {
        let mounted = try mount(image, at: "fill", password: password)
        XCTAssertTrue(FileManager.default.createFile(atPath: mounted.mountpoint + "/f", contents: Data(model)))
        try mounted.unmount()
        dropFromPageCache(image)
    }

    /// Opens `path` for random reads (no readahead, as fio does).
    func openRandom(_ path: String, flags: Int32 = O_RDONLY) -> Int32 {
        let descriptor = open(path, flags)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_RANDOM)
        return descriptor
    }

    /// The count in the daemon's `direct_reads: N direct reads` line (`--debug`, at unmount).
    func directReads(_ mounted: MountedImage) -> Int? {
        guard let line = mounted.log.split(separator: "\n").last(where: { $0.contains("direct_reads: ") }) else { return nil }
        print(line)
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: "direct_reads:"), index + 1 < words.count else { return nil }
        return Int(words[index + 1])
    }

    /// Reads pages in `order` through `descriptor`; fails at the first that is not the model's.
    func checkPages(_ order: [Int], _ descriptor: Int32, model: [UInt8], _ step: String) -> Bool {
        for index in order {
            let start = index * Self.page
            let expected = start < model.count ? Array(model[start..<min(start + Self.page, model.count)]) : []
            let got = Model.readPage(descriptor, index)
            if got != expected {
                XCTFail("\(step): page \(index): \(got.count) bytes read, not the model's \(expected.count)")
                return false
            }
        }
        return true
    }

    /// The pages of `count` random reads of a file of `pages` pages, the last two first.
    static func randomOrder(_ count: Int, pages: Int, seed: UInt64) -> [Int] {
        var random = SplitMix64(state: seed)
        var order = [pages - 2, pages - 1]
        for _ in 0..<count { order.append(Int(random.next() % UInt64(pages))) }
        return order
    }

    // MARK: Cold reads

    func testColdRandomReadsReturnTheModel() throws {
        try checkColdRandomReads(password: nil, arguments: ["-o", "direct_reads"], direct: true)
    }

    func testColdRandomReadsReturnTheModelEncrypted() throws {
        try checkColdRandomReads(password: "direct words", arguments: ["-o", "direct_reads"], direct: true)
    }

    func testWithoutDirectReadsNoneIsMade() throws {
        try checkColdRandomReads(password: nil, arguments: ["-o", "no_direct_reads"], direct: false)
    }

    func testByDefaultNoneIsMade() throws {
        try checkColdRandomReads(password: nil, arguments: [], direct: false)
    }

    func testColdRandomReadsOf32KiBRecordsReturnTheModel() throws {
        try checkColdRandomReads(password: nil, arguments: ["-o", "direct_reads"], direct: true, recordSize: "32k")
    }

    func testRecordsUnder32KiBAreReadBuffered() throws {
        try checkColdRandomReads(password: nil, arguments: ["-o", "direct_reads"], direct: false, recordSize: "4k")
    }

    func checkColdRandomReads(password: String?, arguments: [String], direct: Bool, recordSize: String? = nil) throws {
        let image = try TestImages.make(imagePath("cold.img"), megabytes: 96, password: password)
        let model = Model.model(size: Self.fileSize)
        if let recordSize {
            // Written through a mount whose new files get that record size.
            let mounted = try mount(image, at: "fill", arguments: ["-o", "record_size=\(recordSize)"], password: password)
            XCTAssertTrue(FileManager.default.createFile(atPath: mounted.mountpoint + "/f", contents: Data(model)))
            try mounted.unmount()
            dropFromPageCache(image)
        } else {
            try writeModel(image, password: password, model: model)
        }
        let mounted = try mount(image, at: "cold", arguments: ["--debug"] + arguments, password: password)
        let descriptor = openRandom(mounted.mountpoint + "/f")
        let pages = (Self.fileSize + Self.page - 1) / Self.page
        _ = checkPages(Self.randomOrder(1200, pages: pages, seed: password == nil ? 0xD1EC7 : 0xC0DE), descriptor, model: model, "cold")
        // Past the end: nothing.
        XCTAssertEqual(Model.readPage(descriptor, pages).count, 0)
        close(descriptor)
        try mounted.unmount()
        let count = try XCTUnwrap(directReads(mounted), "no direct_reads line in the log")
        if direct && Self.machineReadsDirect {
            XCTAssertGreaterThan(count, 0, "no record was read direct from the cold image")
        } else if direct {
            print("no direct reads on this machine (no cachestat, or no disk file system): \(count) made")
        } else {
            XCTAssertEqual(count, 0)
        }
        try TestImages.assertClean(image, password: password)
    }

    // MARK: Read, write, read

    func testRecordsReadThenWrittenThenReadMatchTheModel() throws {
        try checkReadWriteRead(password: nil)
    }

    func testRecordsReadThenWrittenThenReadMatchTheModelEncrypted() throws {
        try checkReadWriteRead(password: "direct words")
    }

    /// Random reads of a cold image (direct), then writes into records read and not read (their
    /// read-modify-write reads direct), written back to the daemon but not committed, then reads
    /// of the uncommitted content (the FUSE page cache dropped), then a commit, the image dropped
    /// from the page cache and the reads again (direct, of the new records), then a cold remount.
    func checkReadWriteRead(password: String?) throws {
        let image = try TestImages.make(imagePath("rwr.img"), megabytes: 128, password: password)
        var model = Model.model(size: Self.fileSize)
        try writeModel(image, password: password, model: model)
        // No timed commit: the writes stay in the open transaction until the fsync.
        var mounted = try mount(image, at: "rwr", arguments: ["--debug", "--commit-interval", "0", "-o", "direct_reads"], password: password)
        let path = mounted.mountpoint + "/f"
        let pages = (Self.fileSize + Self.page - 1) / Self.page
        let order = Self.randomOrder(600, pages: pages, seed: password == nil ? 0x5EED : 0x5EEE)
        var reader = openRandom(path)
        guard checkPages(order, reader, model: model, "first reads") else { return }
        close(reader)

        // Writes: half into pages just read, half anywhere; some pages twice.
        var random = SplitMix64(state: 0xFACE)
        let writer = openRandom(path, flags: O_RDWR)
        var written: [Int] = []
        for step in 0..<300 {
            let index = step % 2 == 0 ? order[Int(random.next() % UInt64(order.count))] : Int(random.next() % UInt64(pages - 1))
            let bytes = Model.pattern(index, round: 1 + step % 3)
            XCTAssertEqual(bytes.withUnsafeBytes { pwrite(writer, $0.baseAddress, Self.page, off_t(index * Self.page)) }, Self.page)
            model.replaceSubrange(index * Self.page..<(index + 1) * Self.page, with: bytes)
            written.append(index)
        }
        // Written back to the daemon before the RELEASE (WRITE requests, read-modify-write of each
        // record), no fsync.
        close(writer)

        // The kernel's copies dropped: the reads reach the daemon, which has the writes uncommitted.
        reader = openRandom(path)
        XCTAssertEqual(posix_fadvise(reader, 0, 0, POSIX_FADV_DONTNEED), 0)
        guard checkPages(written + order, reader, model: model, "reads before the commit") else { return }
        // The commit, then the image and the kernel's copies dropped: new records read cold.
        XCTAssertEqual(fsync(reader), 0)
        dropFromPageCache(image)
        XCTAssertEqual(posix_fadvise(reader, 0, 0, POSIX_FADV_DONTNEED), 0)
        guard checkPages(written.reversed() + order, reader, model: model, "reads after the commit") else { return }
        close(reader)
        try mounted.unmount()
        let count = try XCTUnwrap(directReads(mounted))
        if Self.machineReadsDirect { XCTAssertGreaterThan(count, 0) }

        dropFromPageCache(image)
        mounted = try mount(image, at: "again", password: password)
        reader = openRandom(mounted.mountpoint + "/f")
        _ = checkPages(written + Self.randomOrder(300, pages: pages, seed: 0xA6A1), reader, model: model, "after a remount")
        close(reader)
        let whole = try Data(contentsOf: URL(fileURLWithPath: mounted.mountpoint + "/f"))
        XCTAssertTrue(whole == Data(model), "the whole file is not the model")
        try mounted.unmount()
        try TestImages.assertClean(image, password: password)
    }

    // MARK: Option

    func testOptionParsesAndIsDocumented() throws {
        XCTAssertFalse(try MountCommandLine.parse(["disk.img", "/mnt"]).directReads)
        XCTAssertTrue(try MountCommandLine.parse(["-o", "rw,direct_reads", "disk.img", "/mnt"]).directReads)
        XCTAssertFalse(try MountCommandLine.parse(["-o", "direct_reads,no_direct_reads", "disk.img", "/mnt"]).directReads)
        XCTAssertTrue(try MountCommandLine.parse(["-o", "no_direct_reads,direct_reads", "disk.img", "/mnt"]).directReads)
        XCTAssertTrue(MountCommandLine.usage.contains("no_direct_reads"))
    }
}
