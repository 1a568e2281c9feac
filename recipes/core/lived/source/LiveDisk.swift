// The `disk.live` scheme (kernel.md §4.2, §4.3): "" lists disk `0`; `0` is the volume's copy,
// positioned, byte offsets. Reads come from the loader's copy (mapped read-only) unless a block
// was written; a write copies its 4096-byte block into the RAM overlay first and changes only the
// overlay, so the loader's copy — and the disk it came from — stay as they were.

import RedoxRuntime

final class LiveDisk: SchemeDaemon {
    static let blockSize = 4096
    private let original: UnsafeRawPointer
    let size: UInt64
    /// Per block: the overlay page that replaced it, or nil.
    private var overlay: [UnsafeMutableRawPointer?]
    private(set) var overlayBlocks = 0
    private var handles: [Bool] = []
    private let listingHandle = Int.max / 2
    private let listing = bytes("0\n")

    init(mapped: UnsafeRawPointer, size: UInt64) {
        original = mapped
        self.size = size
        overlay = [UnsafeMutableRawPointer?](repeating: nil, count: Int((size + UInt64(LiveDisk.blockSize) - 1) / UInt64(LiveDisk.blockSize)))
        super.init(name: bytes("disk.live"))
    }

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) {
        var name = path
        while name.first == 0x2F { name.removeFirst() }
        if name.isEmpty { return (listingHandle, true) }
        guard name == bytes("0") else { return (-Errno.ENOENT, false) }
        for index in handles.indices where !handles[index] {
            handles[index] = true
            return (index, true)
        }
        handles.append(true)
        return (handles.count - 1, true)
    }

    private func isOpen(_ handle: Int) -> Bool { handle >= 0 && handle < handles.count && handles[handle] }

    override func close(handle: Int) {
        if isOpen(handle) { handles[handle] = false }
    }

    override func size(handle: Int) -> Int {
        if handle == listingHandle { return listing.count }
        return isOpen(handle) ? Int(size) : -Errno.EBADF
    }

    override func stat(handle: Int) -> (UInt16, UInt64)? {
        if handle == listingHandle { return (0x4000 | 0o755, UInt64(listing.count)) }
        return isOpen(handle) ? (0x6000 | 0o600, size) : nil
    }

    override func path(handle: Int) -> [UInt8] { isOpen(handle) ? bytes("0") : [] }

    /// fsync: a write is in the RAM overlay when it is answered, and the overlay is the device
    /// (it never reaches a disk), so there is nothing to flush. The redoxfs daemon fsyncs its disk
    /// at every commit of a root mounted from disk.live.
    override func handle(_ request: Request) -> (Int, UInt8) {
        if request.opcode == SchemeDaemon.opFsync {
            return (isOpen(Int(truncatingIfNeeded: request.args[0])) ? 0 : -Errno.EBADF, 0)
        }
        return super.handle(request)
    }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        if handle == listingHandle {
            guard offset < UInt64(listing.count) else { return 0 }
            let count = min(buffer.count, listing.count - Int(offset))
            for index in 0..<count { buffer[index] = listing[Int(offset) + index] }
            return count
        }
        guard isOpen(handle) else { return -Errno.EBADF }
        return forEachPiece(offset: offset, count: buffer.count) { block, within, done, length in
            let source = overlay[block].map { UnsafeRawPointer($0) } ?? original + block * LiveDisk.blockSize
            (buffer.baseAddress! + done).copyMemory(from: source + within, byteCount: length)
            return true
        }
    }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int {
        guard isOpen(handle) else { return -Errno.EBADF }
        return forEachPiece(offset: offset, count: buffer.count) { block, within, done, length in
            guard let page = overlayPage(block) else { return false }
            (page + within).copyMemory(from: buffer.baseAddress! + done, byteCount: length)
            return true
        }
    }

    /// The overlay page of `block`, made from the original block on first use; nil when memory
    /// is exhausted.
    private func overlayPage(_ block: Int) -> UnsafeMutableRawPointer? {
        if let page = overlay[block] { return page }
        let page = UnsafeMutableRawPointer.allocate(byteCount: LiveDisk.blockSize, alignment: LiveDisk.blockSize)
        page.copyMemory(from: original + block * LiveDisk.blockSize, byteCount: LiveDisk.blockSize)
        overlay[block] = page
        overlayBlocks += 1
        return page
    }

    /// Splits [offset, offset + count) (clipped to the disk) at block boundaries and calls `body`
    /// with (block, offset within it, bytes done so far, piece length); the byte count done, or
    /// −ENOMEM when the first piece fails.
    private func forEachPiece(offset: UInt64, count: Int,
                              _ body: (Int, Int, Int, Int) -> Bool) -> Int {
        guard offset < size else { return 0 }
        let total = Int(min(UInt64(count), size - offset))
        var done = 0
        while done < total {
            let position = offset + UInt64(done)
            let block = Int(position / UInt64(LiveDisk.blockSize))
            let within = Int(position % UInt64(LiveDisk.blockSize))
            let length = min(total - done, LiveDisk.blockSize - within)
            guard body(block, within, done, length) else { return done > 0 ? done : -Errno.ENOMEM }
            done += length
        }
        return done
    }
}
