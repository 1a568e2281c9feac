import Foundation
import Glibc
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// The checker's read-ahead hints on a real file: they fill the page cache with what they name
/// (and not what lies far from it), the one-page probe tells cached from uncached, and the hint
/// queue stops on a warm cache.
@Suite struct ReadHintsTests {
    static let blocks = 256

    /// A 1 MiB file on a disk file system, written back and dropped from the page
    /// cache, opened as a device; nil when the kernel cannot probe the cache (no `cachestat`) or
    /// cannot drop the file from it (/var/tmp on tmpfs, say: its pages are the file).
    private static func uncachedImage() throws -> (FileDevice, ReadHints, String)? {
        let path = "/var/tmp/redoxfs-readhints-\(UUID().uuidString).img"
        let bytes = [UInt8](repeating: 0x5A, count: blocks * RedoxFS.blockSize)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let device = try FileDevice.open(path: path, readOnly: true)
        fsync(device.descriptor)
        _ = posix_fadvise(device.descriptor, 0, 0, POSIX_FADV_DONTNEED)
        guard let hints = ReadHints(device: device, startBlock: 0, readableBlocks: UInt64(blocks)) else {
            Issue.record("an image file gives no hints")
            return nil
        }
        var one = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        _ = pread(device.descriptor, &one, one.count, off_t(255 * RedoxFS.blockSize))
        let dropped = [0, 16, 40, 64, 96, 128, 207].allSatisfy { !hints.isCached(start: $0, count: 1) }
        guard hints.isCached(start: 255, count: 1), dropped else {
            device.close()
            unlink(path)
            return nil  // no cachestat (Linux < 6.5), or a file system whose pages cannot be dropped
        }
        return (device, hints, path)
    }

    /// Waits until blocks `start..<start + count` are cached (the kernel reads them in the
    /// background, as slowly as a busy disk makes it): ten minutes at most, a hang guard.
    private static func becomesCached(_ hints: ReadHints, start: UInt64, count: UInt64) -> Bool {
        for _ in 0..<60_000 {
            if hints.isCached(start: start, count: count) { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func hintsFillThePageCacheWithWhatTheyName() throws {
        guard let (device, hints, path) = try Self.uncachedImage() else { return }
        defer {
            device.close()
            unlink(path)
        }
        #expect(!hints.isCached(start: 16, count: 1))
        var ranges: [(start: UInt64, count: UInt64)] = [(40, 4), (16, 4), (20, 2)]
        #expect(hints.willNeed(&ranges))
        #expect(ranges.map(\.start) == [16, 20, 40])  // sorted in place
        #expect(Self.becomesCached(hints, start: 16, count: 6))
        #expect(Self.becomesCached(hints, start: 40, count: 4))
        #expect(!hints.isCached(start: 128, count: 1))
        // Asked again, all cached: nothing is asked for.
        #expect(!hints.willNeed(&ranges))
        // Hints past the device are clipped, not errors.
        hints.willNeed(start: 250, count: 100)
        hints.willNeed(start: 1000, count: 1)
        #expect(Self.becomesCached(hints, start: 250, count: 6))
    }

    @Test func theQueueAsksInTheBackgroundAndStopsWhenWarm() throws {
        guard let (device, hints, path) = try Self.uncachedImage() else { return }
        defer {
            device.close()
            unlink(path)
        }
        let queue = try #require(HintQueue(hints: hints))
        queue.submit([(64, 8)])
        queue.submit([(100, 2), (96, 2)])
        #expect(Self.becomesCached(hints, start: 64, count: 8))
        #expect(Self.becomesCached(hints, start: 96, count: 6))
        // Cached batches after one that was not: the queue goes on (the kernel's read-ahead).
        for _ in 0..<HintQueue.warmBatches { queue.submit([(64, 8)]) }
        queue.close()
        #expect(!queue.isWarm)
        // Cached from the first batch on: a warm check, the queue stops.
        let warm = try #require(HintQueue(hints: hints))
        for _ in 0..<HintQueue.warmBatches { warm.submit([(64, 8)]) }
        warm.close()
        #expect(warm.isWarm)
        warm.submit([(200, 8)])  // dropped
        #expect(!hints.isCached(start: 207, count: 1))
    }
}
