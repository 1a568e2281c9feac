import RedoxFSFormat

/// Punching holes into file content (FUSE fallocate with FALLOC_FL_PUNCH_HOLE).
extension FileSystemEngine {
    /// Makes bytes `[offset, offset + length)` of node `id` read as zeros without changing its
    /// size: records lying wholly inside the range (or reaching past the end of the file) are
    /// freed, the partial records at the edges are rewritten with zeros.
    public func punchHole(_ id: UInt32, at offset: UInt64, length: UInt64) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            try requireWritable()
            useReserve()
            var node = try loadNode(id)
            guard !node.isDirectory else { throw .system(operation: "punch hole", path: "node \(id)", errno: POSIXCode.EISDIR) }
            let (sum, overflow) = offset.addingReportingOverflow(length)
            let end = min(node.size, overflow ? UInt64.max : sum)
            guard offset < end else { return }
            var changed = false
            if node.hasInlineData {
                // Inline content covers at most the inline area (a truncate may have grown the size past it).
                let stop = Int(min(end, UInt64(min(RedoxFS.inlineDataSize, node.data.count))))
                for i in Int(min(offset, UInt64(stop)))..<stop where node.data[i] != 0 {
                    node.data[i] = 0
                    changed = true
                }
            } else {
                let recordSize = node.recordSize
                var position = offset
                while position < end {
                    let record = position / recordSize
                    let recordStart = record * recordSize
                    let stop = min(end, recordStart + recordSize)
                    if position == recordStart && (stop == recordStart + recordSize || stop == node.size) {
                        if try dropRecord(record, of: &node) { changed = true }
                    } else if try zeroRange(position, count: Int(stop - position), of: &node) {
                        changed = true
                    }
                    position = stop
                }
            }
            guard changed else { return }
            touchModification(&node)
            try saveNode(id, node)
        }
    }

    /// Frees record `record` of `node`, leaving a hole; false when it was a hole already.
    private func dropRecord(_ record: UInt64, of node: inout Node) throws(FileSystemError) -> Bool {
        let snapshot = node
        let old = try withReader { (reader) throws(FormatError) in try reader.recordPointer(record, of: snapshot) }
        guard !old.isNull else { return false }
        try setRecordPointer(record, to: .null, in: &node)
        release(old, charging: &node)
        return true
    }

    /// Writes `count` zero bytes at `offset` (within one record) when the record holds data.
    private func zeroRange(_ offset: UInt64, count: Int, of node: inout Node) throws(FileSystemError) -> Bool {
        let snapshot = node
        let old = try withReader { (reader) throws(FormatError) in
            try reader.recordPointer(offset / snapshot.recordSize, of: snapshot)
        }
        guard !old.isNull else { return false }
        let zeros = [UInt8](repeating: 0, count: count)
        return try withRawBytes(zeros) { (raw) throws(FileSystemError) in try writeContent(raw, at: offset, to: &node) }
    }
}
