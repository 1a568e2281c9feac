import RedoxFSFormat

/// The FUSE mount's read entry point; the core reader copies in bulk, so this is `read(_:at:into:)`.
extension FileSystemEngine {
    /// Up to `buffer.count` bytes of `node` from `offset` into `buffer`; the count (short only at
    /// the end of the file).
    public func readBulk(_ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
        try read(node, at: offset, into: buffer)
    }
}
