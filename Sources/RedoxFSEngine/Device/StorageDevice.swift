import RedoxFSFormat

/// A device the engine reads and writes in 4096-byte blocks: an image file, a block device,
/// a region of either, or a test device that records writes.
public protocol StorageDevice: BlockDevice {
    /// Number of whole 4096-byte blocks the device holds.
    var blockCount: UInt64 { get }
    /// Writes `buffer` (a multiple of 4096 bytes) starting at device block `index`.
    mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError)
    /// Writes `buffers` (each a multiple of 4096 bytes) back to back from device block `index`,
    /// as one request where the device can (an image file: one `pwritev`). The default writes
    /// them one by one, so a recording device sees each buffer as a write of its own.
    mutating func writeBlocks(at index: UInt64, gathering buffers: [[UInt8]]) throws(FormatError)
    /// Makes every completed write durable (fdatasync or its equivalent).
    mutating func flush() throws(FormatError)
    /// Asks the device to start writing completed writes out without waiting for them (a hint:
    /// the next `flush` then has less to wait for). The default does nothing.
    mutating func startWriteback()
    /// Releases what the device holds open (a file descriptor); later calls may fail.
    func close()
    /// Reads as `readBlocks(at:into:)` does (the same bytes, the same errors), for data that is
    /// read once and better not kept in a cache below the engine (an image file: blocks not in
    /// the page cache read with O_DIRECT). The default is `readBlocks(at:into:)`.
    mutating func readBlocksBypassingCache(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError)
    /// Asks the device to start reading `count` blocks at `index` into a cache below the engine,
    /// without waiting for them (a hint: a later `readBlocks` of them then waits less or not at
    /// all; an image file: POSIX_FADV_WILLNEED). The default does nothing.
    mutating func prefetchBlocks(at index: UInt64, count: Int)
}

extension StorageDevice {
    /// Nothing to release by default.
    public func close() {}

    /// No write-back to start by default.
    public mutating func startWriteback() {}

    /// No cache to fill by default.
    public mutating func prefetchBlocks(at index: UInt64, count: Int) {}

    /// No cache to bypass by default: an ordinary read.
    public mutating func readBlocksBypassingCache(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try readBlocks(at: index, into: buffer)
    }
}

extension StorageDevice {
    public mutating func writeBlocks(at index: UInt64, gathering buffers: [[UInt8]]) throws(FormatError) {
        var next = index
        for buffer in buffers {
            try buffer.withBytes { (raw) throws(FormatError) in try writeBlocks(at: next, from: raw) }
            next += UInt64(buffer.count / RedoxFS.blockSize)
        }
    }
}
