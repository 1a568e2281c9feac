#if canImport(Glibc)
import Glibc
#endif
import RedoxFSFormat
import Synchronization

/// An image file or block device, optionally starting at a byte offset (a partition).
///
/// Large reads (64 KiB and more: a 128 KiB record read for one random 4 KiB page) that do not
/// continue the previous read, and every read a thread makes inside `EngineLock.readingAtRandom`
/// (the mount's small random READs), go through a second descriptor opened with POSIX_FADV_RANDOM, so
/// that the kernel reads just the blocks asked for instead of guessing a stream from
/// neighbouring cached pages (that guess cost a third more disk reads on random 4 KiB reads).
/// Everything else, sequential streams and small metadata reads, keeps the kernel's readahead
/// on `descriptor`.
///
/// `readBlocksBypassingCache(at:into:)` reads blocks that are not in the page cache through a
/// third descriptor opened with O_DIRECT (`DirectReader`); with `prefersDirectReads` set (the
/// checker, which reads most blocks once) every read goes that way. Otherwise `readBlocks(at:into:)`
/// stays buffered.
///
/// A writable open takes a write lock on the file system's first block in the file (the block at
/// `byteOffset`; `lockForWriting`): a second writer, another mount or a tool, is refused with
/// EBUSY.
public struct FileDevice: StorageDevice {
    /// The underlying descriptor, shared by copies of this value and closed by `close()`.
    public let descriptor: Int32
    /// The descriptor for reads that do not continue the previous one (no readahead), or
    /// `descriptor` when a second one could not be opened.
    let randomDescriptor: Int32
    /// Where the last read ended (a byte offset in the file), shared by copies of this value.
    let readPattern: ReadPattern
    /// The O_DIRECT descriptor and page-cache probe, shared by copies of this value.
    let direct: DirectReader
    /// Starts write-backs on a thread of its own (writable devices), shared by copies.
    let kicker: WritebackKicker?
    /// Byte offset of device block 0 within the file.
    public let byteOffset: UInt64
    public let blockCount: UInt64
    public let isReadOnly: Bool
    public let path: String
    /// Whether every read goes through `readBlocksBypassingCache(at:into:)` (off by default).
    /// Such a device never reads with the kernel's readahead: one buffered read with readahead
    /// leaves a mark in the page cache that makes a later read of the mark, on any descriptor
    /// of the file (POSIX_FADV_RANDOM does not stop it), read megabytes ahead into the cache, and
    /// each such read marks the next window, so that a stream of reads would pay the page cache's
    /// cost again.
    public var prefersDirectReads = false

    /// Opens `path`; `byteLength` limits the device (default: to the end of the file). A FIFO,
    /// socket or directory is refused (`openImageDescriptor`).
    public static func open(
        path: String, readOnly: Bool, byteOffset: UInt64 = 0, byteLength: UInt64? = nil
    ) throws(FileSystemError) -> FileDevice {
        let fd = try openImageDescriptor(path, flags: readOnly ? O_RDONLY : O_RDWR)
        return try open(adopting: fd, path: path, readOnly: readOnly, byteOffset: byteOffset, byteLength: byteLength)
    }

    /// Opens a device on `fd`, a descriptor of `path` (opened for reading and writing unless
    /// `readOnly`) that the device takes over: closed by `close()`, or here when this throws.
    /// A writable device takes its write lock on `fd`'s open file description, so a lock the
    /// caller took there before (`lockForWriting(descriptor:byteOffset:path:operation:)`,
    /// `lockWholeFileForWriting(descriptor:path:operation:)`) is kept, without a moment unlocked:
    /// a tool that grows the file under the lock hands it over to the device this way.
    public static func open(
        adopting fd: Int32, path: String, readOnly: Bool, byteOffset: UInt64 = 0, byteLength: UInt64? = nil
    ) throws(FileSystemError) -> FileDevice {
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            let code = errno
            Glibc.close(fd)
            throw .system(operation: "seek", path: path, errno: code)
        }
        let total = UInt64(end)
        guard byteOffset <= total else {
            Glibc.close(fd)
            throw .invalidArgument("offset \(byteOffset) lies past its end (\(total) bytes)")
        }
        let length = min(byteLength ?? (total - byteOffset), total - byteOffset)
        if !readOnly {
            do throws(FileSystemError) {
                try lockForWriting(fd, byteOffset: byteOffset, length: length, path: path)
            } catch {
                Glibc.close(fd)
                throw error
            }
        }
        let random = reopenWithoutReadahead(fd)
        return FileDevice(
            descriptor: fd, randomDescriptor: random, direct: DirectReader(reopening: fd, byteOffset: byteOffset),
            byteOffset: byteOffset,
            blockCount: length / UInt64(RedoxFS.blockSize), isReadOnly: readOnly, path: path)
    }

    private init(
        descriptor: Int32, randomDescriptor: Int32, direct: DirectReader, byteOffset: UInt64, blockCount: UInt64,
        isReadOnly: Bool, path: String
    ) {
        self.descriptor = descriptor
        self.randomDescriptor = randomDescriptor
        self.direct = direct
        readPattern = ReadPattern()
        kicker = isReadOnly ? nil : Self.syncFileRange.map { WritebackKicker(descriptor: descriptor, syncFileRange: $0) }
        self.byteOffset = byteOffset
        self.blockCount = blockCount
        self.isReadOnly = isReadOnly
        self.path = path
    }

    /// A second descriptor of the file `fd` is open on (reopened through /proc, so a path
    /// replaced in the meantime does not matter), with POSIX_FADV_RANDOM; `fd` itself when that
    /// fails.
    private static func reopenWithoutReadahead(_ fd: Int32) -> Int32 {
        guard let random = reopen(fd, flags: O_RDONLY) else { return fd }
        _ = posix_fadvise(random, 0, 0, POSIX_FADV_RANDOM)
        return random
    }

    /// A new descriptor, opened with `flags` (and O_CLOEXEC) through /proc, of the very file `fd`
    /// is open on (same device and inode, checked); nil when that cannot be had.
    static func reopen(_ fd: Int32, flags: Int32) -> Int32? {
        let reopened = Glibc.open("/proc/self/fd/\(fd)", flags | O_CLOEXEC)
        guard reopened >= 0 else { return nil }
        var original = stat()
        var status = stat()
        guard fstat(fd, &original) == 0, fstat(reopened, &status) == 0,
            original.st_dev == status.st_dev, original.st_ino == status.st_ino
        else {
            Glibc.close(reopened)
            return nil
        }
        return reopened
    }

    /// The smallest read that may go through `randomDescriptor`.
    static let randomReadBytes = 64 << 10

    public func close() {
        kicker?.stop()
        if randomDescriptor != descriptor { Glibc.close(randomDescriptor) }
        direct.close()
        Glibc.close(descriptor)
    }

    public mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let blocks = UInt64(buffer.count / RedoxFS.blockSize)
        guard index < blockCount, blockCount - index >= blocks else { throw .io(block: index, code: EIO) }
        if prefersDirectReads {
            try readBlocksBypassingCache(at: index, into: buffer)
            return
        }
        try readBlocksBuffered(at: index, into: buffer)
    }

    /// `readBlocks(at:into:)` through the page cache (bounds already checked).
    private func readBlocksBuffered(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let start = byteOffset + index * UInt64(RedoxFS.blockSize)
        let continues = readPattern.continues(at: start, count: buffer.count)
        let random = EngineLock.readsAtRandom || (!continues && buffer.count >= Self.randomReadBytes)
        let reader = random ? randomDescriptor : descriptor
        try readBuffered(reader, at: start, into: buffer, from: 0, block: index)
    }

    /// POSIX_FADV_WILLNEED of the blocks (the kernel starts reading them into the page cache and
    /// returns); nothing for a device that reads direct (`prefersDirectReads`) or past the end.
    public mutating func prefetchBlocks(at index: UInt64, count: Int) {
        guard !prefersDirectReads, count > 0, index < blockCount, blockCount - index >= UInt64(count) else { return }
        let start = byteOffset + index * UInt64(RedoxFS.blockSize)
        _ = posix_fadvise(descriptor, off_t(start), off_t(count * RedoxFS.blockSize), POSIX_FADV_WILLNEED)
    }

    /// How many reads went direct so far (of this device and its copies).
    public var directReadCount: Int { direct.reads.load(ordering: .relaxed) }

    /// Whether `readBlocksBypassingCache(at:into:)` can read direct (an O_DIRECT descriptor was
    /// opened and no direct read has been refused since).
    public var readsBypassCache: Bool { direct.isAvailable }

    /// The alignment of buffer addresses and lengths that `readBlocksBypassingCache(at:into:)`
    /// reads direct (other buffers are read buffered).
    public static let directReadAlignment = DirectReader.alignment
    /// O_DIRECT of <fcntl.h> on this architecture (GNU-only, so not in Swift's Glibc module); 0
    /// where unknown, and then nothing is read direct.
    public static let directOpenFlag = DirectReader.directFlag

    /// Reads exactly as `readBlocks(at:into:)` does (the same bytes, the same errors), except that
    /// blocks mostly not in the page cache (and none of them dirty) are read with O_DIRECT,
    /// without the cost of filling the page cache: straight into a buffer aligned to
    /// `directReadAlignment`, through an aligned bounce buffer (one copy) into any other.
    /// Whatever the direct read does not deliver (a refusal, an error, a short count) is read
    /// buffered, so a failure is the buffered read's failure. Safe to call from several threads
    /// on copies of one device.
    public mutating func readBlocksBypassingCache(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let blocks = UInt64(buffer.count / RedoxFS.blockSize)
        guard index < blockCount, blockCount - index >= blocks else { throw .io(block: index, code: EIO) }
        let start = byteOffset + index * UInt64(RedoxFS.blockSize)
        guard let base = buffer.baseAddress, direct.shouldRead(at: start, count: buffer.count) else {
            // Without readahead (see `prefersDirectReads`): mostly cached, so little to read.
            try readBuffered(randomDescriptor, at: start, into: buffer, from: 0, block: index)
            return
        }
        // A direct read always waits for the disk.
        EngineLock.willWait()
        let done: Int
        if Int(bitPattern: base) % DirectReader.alignment == 0 {
            done = direct.read(at: start, into: buffer)
        } else {
            let bounce = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count, alignment: DirectReader.alignment)
            defer { bounce.deallocate() }
            done = direct.read(at: start, into: bounce)
            if done > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bounce[0..<done])) }
        }
        guard done < buffer.count else { return }
        try readBuffered(randomDescriptor, at: start, into: buffer, from: done, block: index)
    }

    /// Reads `buffer[done...]` from file offset `start + done` through `reader` with `pread`,
    /// reporting failures as `FormatError.io` of `block`.
    ///
    /// On a thread with a wait handler (`EngineLock.setWaitHandler`: the FUSE mount's request loop
    /// hands the reading of requests on there), it first reads without waiting for the disk
    /// (`NoWaitRead`): what the page cache holds is read at once. Whenever the rest may wait (it
    /// is not cached, or the no-wait read is refused, fails or comes back empty), the handler runs
    /// before the ordinary read, whose outcome is the one reported.
    private func readBuffered(
        _ reader: Int32, at start: UInt64, into buffer: UnsafeMutableRawBufferPointer, from done: Int, block index: UInt64
    ) throws(FormatError) {
        var done = done
        var watching = EngineLock.hasWaitHandler
        while done < buffer.count {
            let offset = off_t(start + UInt64(done))
            if watching {
                let available = NoWaitRead.isAvailable
                let n = available ? NoWaitRead.pread(reader, buffer.baseAddress! + done, buffer.count - done, offset) : -1
                let code = available ? errno : ENOSYS
                if n > 0 {
                    done += n
                    continue
                }
                if n < 0 && code == EINTR { continue }
                if n < 0 && code != EAGAIN { NoWaitRead.failed(code) }
                EngineLock.willWait()
                watching = false
                continue
            }
            let n = pread(reader, buffer.baseAddress! + done, buffer.count - done, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(block: index, code: errno)
            }
            if n == 0 { throw .io(block: index, code: EIO) }
            done += n
        }
    }

    public mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError) {
        let blocks = UInt64(buffer.count / RedoxFS.blockSize)
        guard !isReadOnly else { throw .io(block: index, code: EROFS) }
        guard index < blockCount, blockCount - index >= blocks else { throw .io(block: index, code: ENOSPC) }
        var done = 0
        while done < buffer.count {
            let offset = off_t(byteOffset + index * UInt64(RedoxFS.blockSize) + UInt64(done))
            let n = pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(block: index, code: errno)
            }
            done += n
        }
    }

    /// One `pwritev` for the whole run (a short write is finished with `pwrite`).
    public mutating func writeBlocks(at index: UInt64, gathering buffers: [[UInt8]]) throws(FormatError) {
        let total = buffers.reduce(0) { $0 + $1.count }
        guard !isReadOnly else { throw .io(block: index, code: EROFS) }
        let blocks = UInt64(total / RedoxFS.blockSize)
        guard index < blockCount, blockCount - index >= blocks else { throw .io(block: index, code: ENOSPC) }
        var vectors = [iovec](repeating: iovec(), count: buffers.count)
        let offset = off_t(byteOffset + index * UInt64(RedoxFS.blockSize))
        var written = 0
        var code: Int32 = 0
        // Each buffer's storage is pinned by a nested closure while the call runs.
        func pin(_ n: Int) {
            if n == buffers.count {
                repeat {
                    written = vectors.withUnsafeBufferPointer { pwritev(descriptor, $0.baseAddress, Int32($0.count), offset) }
                } while written < 0 && errno == EINTR
                if written < 0 { code = errno }
                return
            }
            buffers[n].withUnsafeBytes { raw in
                vectors[n] = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count)
                pin(n + 1)
            }
        }
        pin(0)
        if written < 0 { throw .io(block: index, code: code) }
        guard written < total else { return }
        // A short write: the rest, buffer by buffer, with the ordinary path.
        var position = 0
        for buffer in buffers {
            defer { position += buffer.count }
            let skip = max(0, written - position)
            if skip >= buffer.count { continue }
            let blockOffset = UInt64((position + skip) / RedoxFS.blockSize)
            let rest = Array(buffer[(skip / RedoxFS.blockSize * RedoxFS.blockSize)...])
            try rest.withBytes { (raw) throws(FormatError) in try writeBlocks(at: index + blockOffset, from: raw) }
        }
    }

    public mutating func flush() throws(FormatError) {
        guard !isReadOnly else { return }
        if fdatasync(descriptor) != 0 { throw .io(block: 0, code: errno) }
    }

    /// Starts the write-back of every dirty page of the file (`sync_file_range` with
    /// SYNC_FILE_RANGE_WRITE: queued, not waited for), on the kicker's thread, so this returns at
    /// once; does nothing where that call is missing.
    public mutating func startWriteback() {
        kicker?.request()
    }

    /// glibc's `sync_file_range`, looked up at run time (Swift's Glibc module leaves out the
    /// GNU-only declarations).
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
    }()
}

/// Where the last read of a `FileDevice` ended, so that the next read can tell whether it
/// continues a sequential stream.
final class ReadPattern: Sendable {
    private let end = Atomic<UInt64>(0)

    /// Whether a read of `count` bytes at `offset` starts where the last read ended; records
    /// its end either way.
    func continues(at offset: UInt64, count: Int) -> Bool {
        end.exchange(offset + UInt64(count), ordering: .relaxed) == offset
    }
}
