import Foundation
import Glibc
import RedoxFS
import RedoxFSTestSupport
import XCTest

/// Our request loop (`-o loop=leader`): a READ whose blocks the image's page cache holds is served
/// by the thread that reads requests; one that would wait for the disk is handed off first (the
/// device reads without waiting, then runs the thread's wait handler). The daemon's
/// `REDOXFS_STATS` line counts both. The bytes are the model's either way, plain, encrypted and
/// with `-o direct_reads`, also for small reads that push the rest of their record into the
/// kernel's cache. The loop ends on SIGTERM even when SIGHUP is ignored.
final class RequestLoopTests: MountTestCase {
    typealias Model = RecordPageStoreTests
    static let page = 4096
    static let fileSize = 16 << 20
    /// Pages read with O_DIRECT (one READ each, no store): in records far apart.
    static let directPages = [512, 1536, 2560, 3584]
    /// Pages read through the kernel's cache without readahead (small READs, with stores).
    static let cachedPages = [300, 1300, 2300, 3300, 3301, 4095]

    /// Where the images go: a disk file system (the scratch folder is on tmpfs, whose pages are
    /// always cached, so that no read there would wait).
    private var imageFolder: String?

    override func setUpWithError() throws {
        try super.setUpWithError()
        imageFolder = try makeDiskFolder("redoxfs-leader")
    }

    func testCachedReadsAreServedByTheLeaderAndColdOnesHandedOff() throws {
        try checkReads(password: nil, arguments: [])
    }

    func testCachedAndColdReadsEncrypted() throws {
        try checkReads(password: "leader words", arguments: [])
    }

    func testCachedAndColdReadsWithDirectReads() throws {
        try checkReads(password: nil, arguments: ["-o", "direct_reads"])
    }

    func checkReads(password: String?, arguments: [String]) throws {
        let image = try TestImages.make("\(try XCTUnwrap(imageFolder))/reads.img", megabytes: 64, password: password)
        let model = Model.model(size: Self.fileSize)
        var mounted = try mount(image, at: "fill", password: password)
        XCTAssertTrue(FileManager.default.createFile(atPath: mounted.mountpoint + "/f", contents: Data(model)))
        try mounted.unmount()
        let options = ["-o", "loop=leader,noatime", "--commit-interval", "0"] + arguments

        // Cold: every READ needs blocks the page cache does not hold. A no-wait read of them
        // starts their I/O, and the kernel delivers them after all where that I/O is done by
        // the time it looks again (a VM whose virtual CPU the host stopped right after the
        // request): each attempt drops the image again, and one must hand a READ off.
        var handedOff: [Int] = []
        var lastLog = ""
        var allDropped = true
        for attempt in 1...6 {
            let dropped = dropFromPageCache(image)
            let cold = try countedDirectReads(image, step: "cold\(attempt)", options: options, password: password, model: model)
            handedOff.append(cold.handedOff)
            lastLog = cold.log
            allDropped = allDropped && dropped
            if cold.handedOff > 0 || Fixtures.directReadFolder == nil || !dropped { break }
        }
        if handedOff.count > 1 { print("READs handed off in each cold attempt: \(handedOff)") }
        if Fixtures.directReadFolder != nil && allDropped {
            XCTAssertGreaterThan(handedOff.last ?? 0, 0, "no cold READ was handed off in \(handedOff.count) attempts\n\(lastLog)")
        } else {
            print("no disk folder whose page cache can be dropped, or pages stayed: \(handedOff) READs handed off")
        }

        // Warm: the whole image in the page cache; the same READs.
        readWhole(image)
        let warm = try countedDirectReads(image, step: "warm", options: options, password: password, model: model)
        if Fixtures.directReadFolder != nil {
            // A disk file system: RWF_NOWAIT reads of cached blocks answer there.
            XCTAssertGreaterThan(warm.served, 0, "no cached READ was served by the leader\n\(warm.log)")
        }
        XCTAssertEqual(warm.served + warm.handedOff, Self.directPages.count, warm.log)

        // Small READs through the kernel's cache on a cold image: the rest of each record is
        // pushed into the kernel's cache (a store hands the reading of requests off first).
        dropFromPageCache(image)
        mounted = try mount(image, at: "stores", arguments: options, password: password)
        let descriptor = open(mounted.mountpoint + "/f", O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_RANDOM)
        for index in Self.cachedPages {
            XCTAssertEqual(Model.readPage(descriptor, index), Array(model[index * Self.page..<(index + 1) * Self.page]), "page \(index)")
        }
        close(descriptor)
        try mounted.unmount()
        try TestImages.assertClean(image, password: password)
    }

    /// SIGTERM ends a foreground mount served by our loop even when SIGHUP is ignored (started
    /// under `nohup`): the loop interrupts its read of /dev/fuse with a signal of its own. The
    /// wait for the exit is a hang guard, no timing.
    func testSIGTERMEndsTheLoopWithSIGHUPIgnored() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("nohup.img"), megabytes: 64)
        let mounted = try mount(image, arguments: ["-o", "loop=leader", "--commit-interval", "0"], launcher: ["/usr/bin/env", "nohup"])
        let status = try String(contentsOfFile: "/proc/\(mounted.process.processIdentifier)/status", encoding: .utf8)
        let ignored = status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
            .flatMap { UInt64($0.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16) }
        XCTAssertEqual(try XCTUnwrap(ignored, status) & (1 << UInt64(SIGHUP - 1)), 1 << UInt64(SIGHUP - 1), "SIGHUP is ignored")
        try CommandRunner.check(["/bin/sh", "-c", "echo nohup > '\(mounted.mountpoint)/file'"])
        try mounted.stop(signal: SIGTERM, timeout: 120)
        XCTAssertEqual(Set(try TestImages.dump(image).entries.map(\.path)), ["/", "/file"])
        try TestImages.assertClean(image)
    }

    // MARK: Helpers

    /// Reads all of `path` through the page cache.
    func readWhole(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        close(descriptor)
    }

    /// Reads `directPages` of the mounted file `f` with O_DIRECT (each one READ of one page, no
    /// store) and compares them with the model.
    func readDirect(_ mounted: MountedImage, model: [UInt8], _ step: String) throws {
        let descriptor = open(mounted.mountpoint + "/f", O_RDONLY | FileDevice.directOpenFlag)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.page, alignment: Self.page)
        defer { buffer.deallocate() }
        for index in Self.directPages {
            let done = pread(descriptor, buffer.baseAddress, Self.page, off_t(index * Self.page))
            XCTAssertEqual(done, Self.page, "\(step): page \(index), errno \(errno)")
            XCTAssertEqual(Array(buffer), Array(model[index * Self.page..<(index + 1) * Self.page]), "\(step): page \(index)")
        }
    }

    /// The READ counts of the daemon's `REDOXFS_STATS` request-loop line (at unmount).
    /// Mounts `image` with `options` and the loop's statistics, reads `directPages` (`readDirect`),
    /// unmounts, and returns the READs the leader served and handed off, with the daemon's log.
    func countedDirectReads(
        _ image: String, step: String, options: [String], password: String?, model: [UInt8]
    ) throws -> (served: Int, handedOff: Int, log: String) {
        let mounted = try mount(image, at: step, arguments: options, password: password, environment: ["REDOXFS_STATS": "1"])
        try readDirect(mounted, model: model, step)
        try mounted.unmount()
        let counted = try counts(mounted)
        return (counted.served, counted.handedOff, mounted.log)
    }

    func counts(_ mounted: MountedImage) throws -> (served: Int, handedOff: Int) {
        let log = mounted.log
        let served = try XCTUnwrap(WritebackCoalescingTests.statistic("reads served by the leader", in: log), log)
        let handedOff = try XCTUnwrap(WritebackCoalescingTests.statistic("reads handed off", in: log), log)
        print("\(mounted.mountpoint): \(served) READs served by the leader, \(handedOff) handed off")
        return (served, handedOff)
    }
}
