import RedoxFSFormat

/// The FUSE mount's read entry point; the core reader copies in bulk, so this is `read(_:at:into:)`.
extension FileSystemEngine {
    /// Up to `buffer.count` bytes of `node` from `offset` into `buffer`; the count (short only at
    /// the end of the file). `bypassingCache` overrides `recordReadsBypassCache` for its records.
    public func readBulk(
        _ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, bypassingCache: Bool? = nil
    ) throws(FileSystemError) -> Int {
        try lock.sharedLocked { () throws(FileSystemError) in
            try readContent(node, at: offset, into: buffer, recordsBypassCache: bypassingCache)
        }
    }
}

extension FileSystemEngine {
    /// Record `index` of `node`, read, decrypted, verified and decoded as `read` does it; nil for
    /// a record that is not stored (a hole) and for a node with inline data. Its length is what
    /// the record holds, which may be less than the record size (zeros follow, up to the file's
    /// size) or more than the file's size. The FUSE mount answers a small read from it and hands
    /// the rest to the kernel's page cache, without copying the record out first.
    /// `bypassingCache` overrides `recordReadsBypassCache` for the record's read.
    public func recordContent(of node: Node, record index: UInt64, bypassingCache: Bool? = nil) throws(FileSystemError) -> [UInt8]? {
        try lock.sharedLocked { () throws(FileSystemError) -> [UInt8]? in
            guard !node.hasInlineData else { return nil }
            let codec = self.codec
            return try withReader(recordsBypassCache: bypassingCache) { (reader) throws(FormatError) -> [UInt8]? in
                let pointer = try reader.recordPointer(index, of: node)
                return pointer.isNull ? nil : try reader.recordContent(pointer, codec: codec)
            }
        }
    }
}
