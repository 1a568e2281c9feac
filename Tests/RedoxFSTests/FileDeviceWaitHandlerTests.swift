import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import RedoxFS
import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// `FileDevice` on a thread with a wait handler (the FUSE mount's leader): blocks the page cache
/// holds are read without running the handler; blocks that must come from the disk run it
/// before the read waits. The bytes are the file's either way. The handler is the test thread's
/// own; the one process-wide effect possible is `NoWaitRead` turned off on a file system that
/// refuses RWF_NOWAIT, which only threads with a handler (none in other suites) would notice.
@Suite struct FileDeviceWaitHandlerTests {
    typealias Image = FileDeviceDirectReadTests

    /// Counts the handler's runs on this thread.
    final class Counter: @unchecked Sendable {
        var runs = 0
    }

    /// Cold reads: a no-wait read of blocks out of the page cache starts their I/O and comes
    /// back empty, so the handler runs. But the kernel checks the pages again after starting
    /// the I/O, and where that I/O is done by then (a VM whose virtual CPU the host stopped
    /// right after the request: CI runs on loaded machines saw both cold reads answered
    /// without waiting) the no-wait read delivers them. Each attempt drops the pages again;
    /// the handler must run in one of them.
    @Test func coldReadsRunTheHandlerAndCachedOnesDoNot() throws {
        let folder = Fixtures.directReadFolder ?? "/var/tmp"
        let path = try Image.makeImage(in: folder)
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: true)
        defer { device.close() }
        let counter = Counter()
        EngineLock.setWaitHandler { counter.runs += 1 }
        defer { EngineLock.setWaitHandler(nil) }

        // Cold: 8 blocks, then a 128 KiB read, the bytes the file's in every attempt.
        var buffer = [UInt8](repeating: 0, count: 8 * Image.blockSize)
        var large = [UInt8](repeating: 0, count: 32 * Image.blockSize)
        let attempts = 10
        var runsPerAttempt: [Int] = []
        for _ in 0..<attempts {
            let cold = PageCacheDrop.drop(path)
            counter.runs = 0
            try buffer.withUnsafeMutableBytes { try device.readBlocks(at: 40, into: $0) }
            #expect(buffer == Image.content(8, from: 40))
            try large.withUnsafeMutableBytes { try device.readBlocks(at: 60, into: $0) }
            #expect(large == Image.content(32, from: 60))
            // Only where the page cache of the folder can be dropped, and was.
            guard Fixtures.directReadFolder != nil && cold else { break }
            runsPerAttempt.append(counter.runs)
            if counter.runs > 0 { break }
        }
        if runsPerAttempt.count > 1 {
            print("FileDeviceWaitHandlerTests: handler runs of each cold attempt: \(runsPerAttempt)")
        }
        if !runsPerAttempt.isEmpty {
            #expect((runsPerAttempt.last ?? 0) > 0, "handler runs of each cold attempt: \(runsPerAttempt)")
        } else {
            print("FileDeviceWaitHandlerTests: the pages could not be dropped here; the cold reads are not checked")
        }

        // Warm: the same reads again, now from the page cache.
        counter.runs = 0
        try buffer.withUnsafeMutableBytes { try device.readBlocks(at: 40, into: $0) }
        try large.withUnsafeMutableBytes { try device.readBlocks(at: 60, into: $0) }
        #expect(buffer == Image.content(8, from: 40))
        #expect(large == Image.content(32, from: 60))
        if NoWaitRead.isAvailable {
            #expect(counter.runs == 0)
        } else {
            // No way to read without waiting here: every read runs the handler first.
            #expect(counter.runs == 2)
        }
    }
}
