#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Reads of a `FileDevice` that skip the page cache when the data is not in it: a descriptor of
/// the same file opened with O_DIRECT, and a probe of the page cache (`cachestat`, Linux 6.5) that
/// tells, without starting any I/O, whether a range is already cached.
///
/// A buffered read of data that is not cached pays for inserting every page into the page cache
/// and copying it out again, which on a fast disk costs more than the disk (measured here: 256 KiB
/// reads of a cold file, about 1 GB/s buffered against 2.6 GB/s direct). A direct read is
/// coherent with buffered writes (the kernel writes dirty cached pages of the range back first),
/// but a range with dirty or mostly cached pages is read buffered anyway: that is cheaper.
/// (`preadv2` with RWF_NOWAIT is no probe: on a miss it starts the buffered read of the range
/// before it returns EAGAIN, so the blocks would be read twice.)
final class DirectReader: Sendable {
    /// The O_DIRECT descriptor, or -1 when there is none (then every read is buffered).
    let descriptor: Int32
    /// The buffered descriptor whose page cache is probed.
    private let cachedDescriptor: Int32
    /// Set when the file system refused a direct read (EINVAL) or the probe is missing: from
    /// then on every read is buffered.
    private let refused = Atomic<Bool>(false)
    /// Direct reads made (each a `read(at:into:)` that delivered at least one block).
    let reads = Atomic<Int>(0)

    /// O_DIRECT of <fcntl.h> (GNU-only, so not in Swift's Glibc module); 0 where unknown.
    #if arch(x86_64) || arch(i386)
    static let directFlag: Int32 = 0o40000
    #elseif arch(arm64) || arch(arm)
    static let directFlag: Int32 = 0o200000
    #else
    static let directFlag: Int32 = 0
    #endif

    /// Alignment of buffers, offsets and lengths of a direct read (the largest logical block size).
    static let alignment = 4096

    /// Opens the direct descriptor of the file `fd` is open on, when the file system allows it,
    /// the probe works and device offsets (`byteOffset`) keep reads aligned.
    init(reopening fd: Int32, byteOffset: UInt64) {
        cachedDescriptor = fd
        guard Self.directFlag != 0, byteOffset % UInt64(Self.alignment) == 0, PageCacheProbe.isAvailable else {
            descriptor = -1
            return
        }
        guard let direct = FileDevice.reopen(fd, flags: O_RDONLY | Self.directFlag) else {
            descriptor = -1
            return
        }
        descriptor = direct
        // A probe that fails (an old kernel, a seccomp filter) leaves every read buffered.
        if cachedPages(at: 0, count: Self.alignment) == nil { refused.store(true, ordering: .relaxed) }
    }

    /// Whether reads may still go direct.
    var isAvailable: Bool { descriptor >= 0 && !refused.load(ordering: .relaxed) }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Whether `count` bytes at file offset `offset` should be read direct: the descriptor is
    /// there, offset and length are aligned, and fewer than half of the pages are cached and none
    /// of them is dirty. (The buffer must be aligned too.)
    func shouldRead(at offset: UInt64, count: Int) -> Bool {
        guard isAvailable, count > 0, count % Self.alignment == 0, offset % UInt64(Self.alignment) == 0 else { return false }
        guard let cached = cachedPages(at: offset, count: count) else {
            refused.store(true, ordering: .relaxed)
            return false
        }
        let pages = UInt64(count / Self.alignment)
        return cached.dirty == 0 && cached.cache * 2 < pages
    }

    /// Reads `buffer` from file offset `offset` direct; returns how many bytes were read (a
    /// multiple of `alignment`, less than the buffer when the read failed, came up short or was
    /// refused: the caller reads the rest buffered, so that errors are the buffered read's).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, base + done, buffer.count - done, off_t(offset + UInt64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL { refused.store(true, ordering: .relaxed) }
                break
            }
            if n == 0 { break }
            done += n
            if n % Self.alignment != 0 { break }
        }
        if done >= Self.alignment { reads.add(1, ordering: .relaxed) }
        return done / Self.alignment * Self.alignment
    }

    /// Pages of the range cached and dirty (`cachestat`), or nil when the call fails.
    private func cachedPages(at offset: UInt64, count: Int) -> (cache: UInt64, dirty: UInt64)? {
        PageCacheProbe.pages(of: cachedDescriptor, at: offset, length: UInt64(count)).map { ($0.cached, $0.dirty) }
    }
}
