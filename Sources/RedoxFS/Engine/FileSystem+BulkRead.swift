import RedoxFSFormat

/// Reading file content with bulk copies, for the FUSE mount's read path.
///
/// It returns exactly what `read(_:at:into:)` returns (the format core's `FileSystemReader.read`):
/// inline bytes, record content, zeros for holes, for record bytes past a short record and for
/// inline-flagged files grown past the inline area. That reader copies byte by byte, which made
/// cold sequential reads through the mount CPU-bound; folding these copies into it would make
/// this file unnecessary.
extension FileSystem {
    /// Up to `buffer.count` bytes of `node` from `offset` into `buffer`; the count (short only at
    /// the end of the file).
    public func readBulk(_ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
        try lock.locked { () throws(FileSystemError) in
            guard offset < node.size, let base = buffer.baseAddress else { return 0 }
            let total = Int(min(UInt64(buffer.count), node.size - offset))
            if node.hasInlineData {
                let limit = min(node.data.count, RedoxFS.inlineDataSize)
                let start = offset < UInt64(limit) ? Int(offset) : limit
                let available = min(total, limit - start)
                Self.copy(node.data, from: start, count: available, to: base)
                if total > available {
                    (base + available).initializeMemory(as: UInt8.self, repeating: 0, count: total - available)
                }
                return total
            }
            let recordSize = node.recordSize
            let codec = self.codec
            var done = 0
            while done < total {
                let position = offset + UInt64(done)
                let record = position / recordSize
                let within = Int(position % recordSize)
                let count = min(total - done, Int(recordSize) - within)
                let pointer = try withReader { (reader) throws(FormatError) in try reader.recordPointer(record, of: node) }
                var copied = 0
                if !pointer.isNull {
                    let content = try withReader { (reader) throws(FormatError) in try reader.recordContent(pointer, codec: codec) }
                    copied = max(0, min(count, content.count - within))
                    Self.copy(content, from: within, count: copied, to: base + done)
                }
                if copied < count {
                    (base + done + copied).initializeMemory(as: UInt8.self, repeating: 0, count: count - copied)
                }
                done += count
            }
            return total
        }
    }

    /// Copies `count` bytes of `bytes` from index `start` to `target`.
    private static func copy(_ bytes: [UInt8], from start: Int, count: Int, to target: UnsafeMutableRawPointer) {
        guard count > 0, start >= 0, start + count <= bytes.count else { return }
        bytes.withUnsafeBytes { raw in
            guard let source = raw.baseAddress else { return }
            target.copyMemory(from: source + start, byteCount: count)
        }
    }
}
