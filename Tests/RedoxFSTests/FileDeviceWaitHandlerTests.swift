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

    @Test func coldReadsRunTheHandlerAndCachedOnesDoNot() throws {
        let folder = Fixtures.directReadFolder ?? "/var/tmp"
        let path = try Image.makeImage(in: folder)
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: true)
        defer { device.close() }
        let counter = Counter()
        EngineLock.setWaitHandler { counter.runs += 1 }
        defer { EngineLock.setWaitHandler(nil) }

        // Cold (the image was dropped from the page cache): 8 blocks, then a 128 KiB read.
        var buffer = [UInt8](repeating: 0, count: 8 * Image.blockSize)
        try buffer.withUnsafeMutableBytes { try device.readBlocks(at: 40, into: $0) }
        #expect(buffer == Image.content(8, from: 40))
        var large = [UInt8](repeating: 0, count: 32 * Image.blockSize)
        try large.withUnsafeMutableBytes { try device.readBlocks(at: 60, into: $0) }
        #expect(large == Image.content(32, from: 60))
        if Fixtures.directReadFolder != nil {
            // The page cache of this folder can be dropped: both reads had to wait.
            #expect(counter.runs >= 2)
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
