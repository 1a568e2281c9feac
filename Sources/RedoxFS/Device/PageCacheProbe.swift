#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel how much of a file range sits in the page cache (`cachestat`, Linux 6.5),
/// without starting any I/O: the one probe behind direct reads (`DirectReader`) and the
/// checker's read-ahead hints.
public enum PageCacheProbe {
    /// Pages of `length` bytes at file offset `offset` of `descriptor` that are cached, and of
    /// those how many are dirty; nil when the kernel cannot tell (no `cachestat`, or it failed).
    public static func pages(of descriptor: Int32, at offset: UInt64, length: UInt64) -> (cached: UInt64, dirty: UInt64)? {
        guard let call = syscall else { return nil }
        // struct cachestat_range { u64 off, len } and struct cachestat { u64 nr_cache, nr_dirty,
        // nr_writeback, nr_evicted, nr_recently_evicted } of <linux/mman.h>.
        var range: (UInt64, UInt64) = (offset, length)
        var stats: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        let result = withUnsafePointer(to: &range) { range in
            withUnsafeMutablePointer(to: &stats) { stats in
                call(cachestatNumber, Int(descriptor), Int(bitPattern: range), Int(bitPattern: stats), 0)
            }
        }
        guard result == 0 else { return nil }
        return (stats.0, stats.1)
    }

    /// Whether the kernel has `cachestat` to ask (looked up once).
    public static var isAvailable: Bool { syscall != nil }

    /// The system call number of `cachestat` (the same on every architecture since 5.1's table).
    private static let cachestatNumber = 451

    /// glibc's `syscall`, looked up at run time (it is variadic, which Swift does not import; it
    /// reads its integer arguments from registers alone, so a fixed signature calls it correctly
    /// on x86-64 and AArch64). Glibc 2.36 has no `cachestat` wrapper.
    private static let syscall: (@convention(c) (Int, Int, Int, Int, Int) -> Int)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syscall") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int, Int, Int, Int, Int) -> Int).self)
    }()
}
