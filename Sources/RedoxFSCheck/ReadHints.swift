#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Tells the kernel which blocks of the image the check will read next
/// (`posix_fadvise(POSIX_FADV_WILLNEED)`), so that it reads them into the page cache while the
/// walk works on what it has. Without hints each read of a cold check waited for the disk
/// alone; a hint starts the reads of many ranges at once (the disk serves them side by side) and
/// returns without waiting for them; the checker's own reads then find the pages
/// cached or already on their way, and read exactly the bytes they read before. Hints change
/// what is cached, never what is read or reported.
struct ReadHints: Sendable {
    /// The image's descriptor (any descriptor of the file shares its page cache).
    private let descriptor: Int32
    /// Byte offset in the file of file-system block 0.
    private let byteOffset: UInt64
    /// File-system blocks the device holds: hints stop there.
    private let readableBlocks: UInt64

    /// Blocks that are not asked for read through rather than splitting a hint: one range costs a
    /// system call and a trip through the page cache's index, a few 4 KiB blocks cost little.
    static let bridgedGap: UInt64 = 8

    /// Hints for `device` (an image file or block device); nil for other devices.
    init?(device: any StorageDevice, startBlock: UInt64, readableBlocks: UInt64) {
        guard let file = device as? FileDevice else { return nil }
        descriptor = file.descriptor
        byteOffset = file.byteOffset + startBlock * UInt64(RedoxFS.blockSize)
        self.readableBlocks = readableBlocks
    }

    /// Whether every page of blocks `start..<start + count` is in the page cache (`cachestat`,
    /// Linux 6.5; false when it cannot tell): a warm check skips its hints, each of which would
    /// cost a system call and a walk of the page cache's index for nothing.
    func isCached(start: UInt64, count: UInt64) -> Bool {
        guard start < readableBlocks, count > 0 else { return false }
        let size = UInt64(RedoxFS.blockSize)
        let blocks = min(count, readableBlocks - start)
        guard let pages = PageCacheProbe.pages(of: descriptor, at: byteOffset + start * size, length: blocks * size) else {
            return false
        }
        // Pages of 4 KiB or larger: the range's pages are at most its blocks.
        return pages.cached * UInt64(Self.pageSize) >= blocks * size
    }

    /// The page size (4096 when unknown).
    private static let pageSize: Int = { let size = sysconf(Int32(_SC_PAGESIZE)); return size > 0 ? size : 4096 }()

    /// Asks for blocks `start..<start + count` (clipped to the device; nothing when outside it).
    func willNeed(start: UInt64, count: UInt64) {
        guard start < readableBlocks, count > 0 else { return }
        let blocks = min(count, readableBlocks - start)
        let size = UInt64(RedoxFS.blockSize)
        _ = posix_fadvise(descriptor, off_t(byteOffset + start * size), off_t(blocks * size), POSIX_FADV_WILLNEED)
    }

    /// Asks for the blocks `ranges` name (start, count), sorted in place and merged across gaps of
    /// up to `bridgedGap` blocks: one call per merged range whose last block is not in the page
    /// cache (a probe of one page costs next to nothing, a probe of the whole range a walk of its
    /// pages; pages are cached in runs, so the last stands for the rest, and the first is often
    /// cached by the read-ahead of the list or block just before it). Returns whether any was
    /// asked for (false: all cached, a warm check).
    @discardableResult
    func willNeed(_ ranges: inout [(start: UInt64, count: UInt64)]) -> Bool {
        guard !ranges.isEmpty else { return false }
        var asked = false
        func ask(_ start: UInt64, _ end: UInt64) {
            guard !isCached(start: end - 1, count: 1) else { return }
            willNeed(start: start, count: end - start)
            asked = true
        }
        ranges.sort { $0.start < $1.start }
        var runStart = ranges[0].start
        var runEnd = runStart + ranges[0].count
        for range in ranges.dropFirst() {
            let end = range.start + range.count
            if range.start <= runEnd + Self.bridgedGap {
                runEnd = max(runEnd, end)
            } else {
                ask(runStart, runEnd)
                (runStart, runEnd) = (range.start, end)
            }
        }
        ask(runStart, runEnd)
        return asked
    }
}
