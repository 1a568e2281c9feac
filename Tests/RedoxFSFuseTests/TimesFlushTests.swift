import Foundation
import Glibc
import RedoxFSTestSupport
import XCTest

/// The kernel's writeback cache keeps a file's times itself and, when a write moved them, sends
/// them back with a SETATTR at the close. The mount stamps nodes from the kernel's own coarse
/// clock (`Timestamp.now`), so a file created and written within one clock tick closes without
/// that SETATTR; the times it keeps are the ones the kernel reported, and a remount finds them.
final class TimesFlushTests: MountTestCase {
    /// SETATTR requests the daemon got so far (its `--debug` log).
    func setattrRequests(_ mounted: MountedImage) -> Int {
        mounted.log.components(separatedBy: "opcode: SETATTR (").count - 1
    }

    static func coarseNow() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return now
    }

    /// The fine clock: at or past any time the kernel handed out (its multigrain "floor" may lie
    /// ahead of the coarse clock within a tick).
    static func fineNow() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    static func nanoseconds(_ time: timespec) -> Int { time.tv_sec * 1_000_000_000 + time.tv_nsec }

    func testQuickWritesCloseWithoutFlushingTimes() throws {
        let image = try TestImages.make(try folder.path("times.img"), megabytes: 32)
        let mounted = try mount(image, at: "mnt", arguments: ["--debug"])
        // Batches of 60 files until one of them closed without flushing its times (at most 20
        // batches): a busy machine may let a file's write fall into the next tick, and the
        // kernel's stamps follow its multigrain floor, which other file systems' activity may
        // move ahead of the coarse clock. With fine-clock stamps every file would flush.
        let batch = 60
        var count = 0
        var flushed = 0
        let before = Self.nanoseconds(Self.coarseNow())
        repeat {
            for index in count..<(count + batch) {
                let descriptor = open(mounted.mountpoint + "/f\(index)", O_CREAT | O_WRONLY, 0o644)
                XCTAssertGreaterThanOrEqual(descriptor, 0)
                let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 1000)
                XCTAssertEqual(bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }, 1000)
                XCTAssertEqual(close(descriptor), 0)
            }
            count += batch
            flushed = setattrRequests(mounted)
        } while flushed >= count && count < 20 * batch
        let after = Self.nanoseconds(Self.fineNow())
        print("SETATTR requests after \(count) files created, written and closed: \(flushed)")
        // With times from the fine clock every close flushed the times the write had moved
        // (one SETATTR per file); now only a file whose write fell into the next tick does.
        XCTAssertLessThan(flushed, count, "every close flushed times")

        var kept: [[Int]] = []
        for index in 0..<count {
            var info = stat()
            XCTAssertEqual(stat(mounted.mountpoint + "/f\(index)", &info), 0)
            let mtime = Self.nanoseconds(info.st_mtim), ctime = Self.nanoseconds(info.st_ctim)
            XCTAssertTrue((before...after).contains(mtime), "f\(index): mtime \(mtime) outside \(before)...\(after)")
            XCTAssertTrue((before...after).contains(ctime), "f\(index): ctime \(ctime) outside \(before)...\(after)")
            XCTAssertEqual(info.st_size, 1000)
            kept.append([mtime, ctime])
        }
        try mounted.unmount()

        let again = try mount(image, at: "again")
        for index in 0..<count {
            var info = stat()
            XCTAssertEqual(stat(again.mountpoint + "/f\(index)", &info), 0)
            XCTAssertEqual([Self.nanoseconds(info.st_mtim), Self.nanoseconds(info.st_ctim)], kept[index], "f\(index) after a remount")
            let content = FileManager.default.contents(atPath: again.mountpoint + "/f\(index)")
            XCTAssertEqual(content.map { [UInt8]($0) }, [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 1000))
        }
        try again.unmount()
    }

    /// An unlink of one of two names: the kernel flushes the remaining node's ctime (a SETATTR of
    /// times that, within the tick, did not move, answered without a write); the other name keeps
    /// the content and a ctime of the unlink's time, also after a remount.
    func testUnlinkOfOneNameKeepsTheOther() throws {
        let image = try TestImages.make(try folder.path("links.img"), megabytes: 32)
        let mounted = try mount(image, at: "mnt", arguments: ["--debug"])
        let first = mounted.mountpoint + "/a", second = mounted.mountpoint + "/b"
        XCTAssertTrue(FileManager.default.createFile(atPath: first, contents: Data([1, 2, 3])))
        XCTAssertEqual(link(first, second), 0)
        let before = Self.nanoseconds(Self.coarseNow())
        XCTAssertEqual(unlink(first), 0)
        let after = Self.nanoseconds(Self.fineNow())
        var info = stat()
        XCTAssertEqual(stat(second, &info), 0)
        XCTAssertEqual(info.st_nlink, 1)
        let ctime = Self.nanoseconds(info.st_ctim)
        XCTAssertTrue((before...after).contains(ctime), "ctime \(ctime) outside \(before)...\(after)")
        try mounted.unmount()

        let again = try mount(image, at: "again")
        XCTAssertEqual(stat(again.mountpoint + "/b", &info), 0)
        XCTAssertEqual(info.st_nlink, 1)
        XCTAssertEqual(Self.nanoseconds(info.st_ctim), ctime)
        XCTAssertEqual(FileManager.default.contents(atPath: again.mountpoint + "/b").map { [UInt8]($0) }, [1, 2, 3])
        XCTAssertFalse(FileManager.default.fileExists(atPath: again.mountpoint + "/a"))
        try again.unmount()
    }
}
