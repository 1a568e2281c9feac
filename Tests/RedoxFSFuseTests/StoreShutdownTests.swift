import Foundation
import Glibc
import RedoxFSTestSupport
import XCTest

/// Stores of a record's other pages (`notify_store`) wait for the page locks of READs that may
/// still be queued on /dev/fuse; these tests make them meet all the time: several threads read
/// random pages of a 512 KiB file (four 128 KiB records) and drop its pages from the kernel's cache
/// now and then (`Scripts/storereader.py`).
///
/// - A SIGTERM, SIGINT or SIGHUP sent while that runs ends the daemon with its final commit, under
///   both request loops, round after round: the session ends only once no store runs
///   (`SignalShutdown`). Before, a store could wait for a READ no thread would read any more, and
///   the daemon with it until the connection was aborted (with main's daemon, ac6c319, both tests
///   failed in their first or second round). Files synced before each signal are on the image after.
/// - Under `-o loop=leader` a store on the leader (the only thread that reads requests) passes the
///   reading on first; without that the leader waits for a READ only it could read.
///
/// The waits are bounded by events (the reader's progress lines, the daemon's exit); the
/// wall-clock limits are hang guards only, which abort the mount's connection and fail.
final class StoreShutdownTests: MountTestCase {
    /// Four records of 128 KiB: READs and stores meet on the same pages.
    static let pages = 128
    static let readers = 12
    /// Rounds of mount, reads, signal.
    static let rounds = 12
    /// Reads done (all threads) before the signal.
    static let readsBeforeSignal = 300

    /// Where the images go: a disk file system, whose cached blocks the leader reads without
    /// waiting (it serves those READs itself, then stores); on the scratch folder's tmpfs every
    /// READ would be handed off to another worker first, and the leader would never store.
    private var imageFolder: String?

    override func setUpWithError() throws {
        try super.setUpWithError()
        imageFolder = try makeDiskFolder("redoxfs-stores")
    }

    func testSignalWhileStoresRunEndsTheDaemonUnderLibfusesLoop() throws {
        try signalRounds(loop: "libfuse")
    }

    func testSignalWhileStoresRunEndsTheDaemonUnderTheLeaderLoop() throws {
        try signalRounds(loop: "leader")
    }

    /// Many small reads with stores under `-o loop=leader`, then a clean unmount: every read done
    /// with the pattern's bytes, stores made (`REDOXFS_STATS`), the image clean. The stores stay
    /// on the READs' workers (`REDOXFS_STORE_QUEUE=0`: no store thread), so the leader stores too.
    /// With the store's hand-off taken out the reader stops half-way (the leader waits in the
    /// store) and the hang guard fails the test.
    func testStoresOnTheLeaderPassTheReadingOn() throws {
        let image = try makeImage()
        for round in 0..<3 {
            let mounted = try mount(
                image, at: "leader\(round)", arguments: ["-o", "loop=leader", "--threads", "8", "--commit-interval", "0"],
                environment: ["REDOXFS_STATS": "1", "REDOXFS_STORE_QUEUE": "0"])
            let reads = 400
            let reader = try startReader(mounted, round: round, reads: reads)
            guard waitWhileProgressing(reader) else {
                mounted.abortConnection()
                _ = wait(for: { !reader.process.isRunning }, limit: 60)
                return XCTFail("round \(round): the reader did not finish (a store on the leader waits for a READ nobody reads)\n\(reader.output)")
            }
            XCTAssertTrue(reader.output.contains("done \(Self.readers * reads)\n"), "round \(round): \(reader.output)")
            try mounted.unmount()
            print("loop=leader, round \(round): \(stores(in: mounted.log)) stores")
            XCTAssertGreaterThan(stores(in: mounted.log), 0, mounted.log)
        }
        try TestImages.assertClean(image)
    }

    // MARK: Helpers

    /// Rounds of: mount with `-o loop=<loop>`, write and fsync a file, start the reader, send a
    /// signal once it has done `readsBeforeSignal` reads, wait for the daemon's exit (status 0:
    /// its final commit). Then the image is clean, holds every synced file, and the file read has
    /// the pattern's bytes.
    func signalRounds(loop: String) throws {
        let image = try makeImage()
        let signals = [SIGTERM, SIGINT, SIGHUP]
        var stored = 0
        for round in 0..<Self.rounds {
            // The daemon gets the three signals at their default disposition, whatever the test
            // runner ignores (a shell's background job ignores SIGINT, nohup SIGHUP).
            let mounted = try mount(
                image, at: "round\(round)", arguments: ["-o", "loop=\(loop)", "--threads", "8", "--commit-interval", "0"],
                environment: ["REDOXFS_STATS": "1"], launcher: ["/usr/bin/env", "--default-signal=HUP,INT,TERM"])
            try writeSynced(mounted.mountpoint + "/synced-\(round)", "round \(round)\n")
            let reader = try startReader(mounted, round: round, reads: 1_000_000)
            let signal = signals[round % signals.count]
            guard waitWhileProgressing(reader, until: { reader.output.contains("progress \(Self.readsBeforeSignal)\n") }) else {
                mounted.abortConnection()
                return XCTFail("round \(round): the reader made no progress\n\(reader.output)")
            }
            XCTAssertTrue(reader.process.isRunning, "round \(round): the reader ended early\n\(reader.output)")
            kill(mounted.process.processIdentifier, signal)
            guard wait(for: { !mounted.process.isRunning }, limit: 120) else {
                let threads = Self.threadStates(mounted.process.processIdentifier)
                mounted.abortConnection()
                _ = wait(for: { !reader.process.isRunning }, limit: 60)
                return XCTFail("round \(round): the daemon did not end after signal \(signal) (threads: \(threads))\n\(mounted.log)")
            }
            XCTAssertTrue(wait(for: { !reader.process.isRunning }, limit: 120), "round \(round): the reader did not end")
            XCTAssertFalse(reader.output.contains("wrong page"), "round \(round): \(reader.output)")
            try mounted.unmount()
            stored += stores(in: mounted.log)
        }
        // The rounds are about signals while stores run.
        print("loop=\(loop): \(stored) stores in \(Self.rounds) rounds")
        XCTAssertGreaterThan(stored, 0)
        try TestImages.assertClean(image)
        let paths = Set(try TestImages.dump(image).entries.map(\.path))
        XCTAssertEqual(paths, Set(["/", "/f"] + (0..<Self.rounds).map { "/synced-\($0)" }))
        let mounted = try mount(image, at: "check", arguments: ["-o", "ro"])
        for round in 0..<Self.rounds {
            XCTAssertEqual(try String(contentsOfFile: mounted.mountpoint + "/synced-\(round)", encoding: .utf8), "round \(round)\n")
        }
        try CommandRunner.check(["python3", TestEnvironment.script("storereader.py"), "check", mounted.mountpoint + "/f", "\(Self.pages)"])
        try mounted.unmount()
    }

    /// A 64 MiB image holding the pattern file `f`.
    func makeImage() throws -> String {
        let image = try TestImages.make("\(try XCTUnwrap(imageFolder))/stores.img", megabytes: 64)
        let mounted = try mount(image, at: "fill")
        try CommandRunner.check(["python3", TestEnvironment.script("storereader.py"), "make", mounted.mountpoint + "/f", "\(Self.pages)"])
        try mounted.unmount()
        return image
    }

    /// A reader process and the file its output goes to.
    struct Reader {
        let process: Process
        let outputPath: String
        var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    }

    /// Starts `readers` threads of `reads` random page reads each of `f` on `mounted`.
    func startReader(_ mounted: MountedImage, round: Int, reads: Int) throws -> Reader {
        let outputPath = mounted.mountpoint + ".reader"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", TestEnvironment.script("storereader.py"), "read", mounted.mountpoint + "/f", "\(Self.pages)",
            "\(Self.readers)", "\(reads)", "\(round + 1)",
        ]
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Reader(process: process, outputPath: outputPath)
    }

    /// Writes `text` to a new file at `path` and fsyncs it.
    func writeSynced(_ path: String, _ text: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw MountedImage.Failure(description: "create \(path): errno \(errno)") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        XCTAssertEqual(write(descriptor, bytes, bytes.count), bytes.count)
        XCTAssertEqual(fsync(descriptor), 0)
    }

    /// The stores of the daemon's `REDOXFS_STATS` line at unmount.
    func stores(in log: String) -> Int {
        WritebackCoalescingTests.statistic("stores of record pages", in: log) ?? 0
    }

    /// Waits until `condition` holds, checking it every 20 ms; false when `limit` seconds (a hang
    /// guard) passed first.
    func wait(for condition: () -> Bool, limit: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(limit)
        while !condition() {
            if Date() > deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// Waits until `condition` holds or the reader has ended; false when the reader's output did
    /// not grow for 120 s (a hang guard: it prints a line every 100 reads).
    func waitWhileProgressing(_ reader: Reader, until condition: () -> Bool = { false }) -> Bool {
        var seen = reader.output.count
        var deadline = Date().addingTimeInterval(120)
        while !condition() && reader.process.isRunning {
            let count = reader.output.count
            if count != seen {
                seen = count
                deadline = Date().addingTimeInterval(120)
            } else if Date() > deadline {
                return false
            }
            usleep(20_000)
        }
        return true
    }

    /// Where each thread of process `pid` waits (`/proc/PID/task/*/wchan`), for a failure message.
    static func threadStates(_ pid: Int32) -> String {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.sorted().map { task in
            let channel = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
            return "\(task): \(channel)"
        }.joined(separator: ", ")
    }
}
