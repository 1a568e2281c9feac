import RedoxFSFormat

/// A device the engine reads and writes in 4096-byte blocks: an image file, a block device,
/// a region of either, or a test device that records writes.
public protocol StorageDevice: BlockDevice {
    /// Number of whole 4096-byte blocks the device holds.
    var blockCount: UInt64 { get }
    /// Writes `buffer` (a multiple of 4096 bytes) starting at device block `index`.
    mutating func writeBlocks(at index: UInt64, from buffer: UnsafeRawBufferPointer) throws(FormatError)
    /// Makes every completed write durable (fdatasync or its equivalent).
    mutating func flush() throws(FormatError)
    /// Releases what the device holds open (a file descriptor); later calls may fail.
    func close()
}

extension StorageDevice {
    /// Nothing to release by default.
    public func close() {}
}
