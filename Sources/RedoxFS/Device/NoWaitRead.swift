#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Reads of a file that never wait for the disk: `preadv2` with RWF_NOWAIT, which reads what the
/// page cache holds and fails with EAGAIN (or comes up short) where it would have to wait. On a
/// miss the kernel starts reading the range into the page cache before it returns, so the
/// ordinary read that follows waits for that I/O instead of starting its own.
enum NoWaitRead {
    /// RWF_NOWAIT of <linux/fs.h>.
    private static let noWait: Int32 = 0x08

    /// glibc's `preadv2` (2.26), looked up at run time (Swift's Glibc module leaves out the
    /// GNU-only declarations).
    private static let preadv2: (@convention(c) (Int32, UnsafePointer<iovec>?, Int32, off_t, Int32) -> Int)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "preadv2") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, UnsafePointer<iovec>?, Int32, off_t, Int32) -> Int).self)
    }()

    /// Set once a no-wait read failed as on a kernel or file that does not know the flag: from
    /// then on nothing reads this way.
    private static let refused = Atomic<Bool>(false)

    /// Whether no-wait reads can be tried.
    static var isAvailable: Bool { preadv2 != nil && !refused.load(ordering: .relaxed) }

    /// `pread` of `count` bytes at `offset` of `descriptor` into `base` that does not wait: the
    /// bytes read (maybe fewer than asked for), or -1 with errno (EAGAIN when nothing could be read
    /// without waiting).
    static func pread(_ descriptor: Int32, _ base: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int {
        guard let preadv2 else {
            errno = ENOSYS
            return -1
        }
        var vector = iovec(iov_base: base, iov_len: count)
        return preadv2(descriptor, &vector, 1, offset, noWait)
    }

    /// Notes a no-wait read that failed with `code` (not EAGAIN): a kernel or file that does not
    /// know the flag stops no-wait reads for good.
    static func failed(_ code: Int32) {
        if code == EOPNOTSUPP || code == EINVAL || code == ENOSYS { refused.store(true, ordering: .relaxed) }
    }
}
