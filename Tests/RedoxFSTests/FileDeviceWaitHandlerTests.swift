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

    /// Whether any page of the first `length` bytes of `path` is in the page cache (mincore of
    /// a mapping that is never touched); true when that cannot be told.
    static func anyPageCached(_ path: String, length: Int) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        guard let mapping = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0),
              mapping != UnsafeMutableRawPointer(bitPattern: -1) else { return true }
        defer { munmap(mapping, length) }
        var resident = [UInt8](repeating: 0, count: (length + 4095) / 4096)
        guard mincore(mapping, length, &resident) == 0 else { return true }
        return resident.contains { $0 & 1 != 0 }
    }

    @Test func coldReadsRunTheHandlerAndCachedOnesDoNot() throws {
        let folder = Fixtures.directReadFolder ?? "/var/tmp"
        let path = try Image.makeImage(in: folder)
        defer { unlink(path) }
        // `makeImage` dropped the file's pages; on a busy machine a page can stay (a CI run saw
        // both cold reads served from the cache). Dropped again while any of the range read
        // below is resident; the cold expectation holds only where they are out.
        let range = 92 * Image.blockSize
        var cold = !Self.anyPageCached(path, length: range)
        for _ in 0..<5 where !cold {
            let fd = open(path, O_RDONLY)
            if fd >= 0 {
                _ = fdatasync(fd)
                _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
                close(fd)
            }
            cold = !Self.anyPageCached(path, length: range)
        }
        if !cold { print("FileDeviceWaitHandlerTests: pages stayed cached after 6 drops; the cold reads are not checked") }
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
        if Fixtures.directReadFolder != nil && cold {
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
