import RedoxFSFormat

/// Writing and truncating node content: inline data, records, compression and the indirect
/// BlockLists (spec §8.4, §9.5, §9.6). Unlike upstream, shrinking frees the partial last record
/// past the new end and zeroes the bytes after it, so a later grow reads zeros (quirks 1–4 of §17.2).
extension FileSystemEngine {
    /// Writes `data` at `offset` of `node` (updated in place; the caller saves it). Returns whether
    /// anything changed. `prepared`: the record this write makes, worked out ahead
    /// (`prepareWrite`) from the same bytes; used when the record still holds what it was
    /// prepared from, else made again here.
    @discardableResult
    func writeContent(
        _ data: UnsafeRawBufferPointer, at offset: UInt64, to node: inout Node, prepared: PreparedRecordWrite? = nil
    ) throws(FileSystemError) -> Bool {
        let end = offset + UInt64(data.count)
        guard data.count > 0 else { return false }
        guard end / node.recordSize < RecordPath.recordLimit else {
            throw .system(operation: "write", path: "file", errno: POSIXCode.EFBIG)
        }
        if node.hasInlineData {
            if end < UInt64(RedoxFS.inlineDataSize) {
                var changed = false
                for i in 0..<data.count where node.data[Int(offset) + i] != data[i] {
                    node.data[Int(offset) + i] = data[i]
                    changed = true
                }
                if end > node.size { node.size = end; changed = true }
                return changed
            }
            try convertInlineToRecords(&node)
        }
        var changed = false
        let recordSize = node.recordSize
        var done = 0
        // New pointers of consecutive records under one BlockList, stored together (one rewrite
        // of each list on their path instead of one per record: small records make many).
        var run = RecordPointerRun()
        while done < data.count {
            let position = offset + UInt64(done)
            let record = position / recordSize
            let within = Int(position % recordSize)
            let count = min(data.count - done, Int(recordSize) - within)
            let piece = UnsafeRawBufferPointer(rebasing: data[done..<done + count])
            if let pointer = try writeRecord(record, within: within, bytes: piece, node: &node, prepared: prepared) {
                if !run.append(record, pointer) {
                    try store(run, in: &node)
                    run = RecordPointerRun()
                    _ = run.append(record, pointer)
                }
                changed = true
            }
            done += count
        }
        try store(run, in: &node)
        if end > node.size { node.size = end; changed = true }
        return changed
    }

    /// Stores the pointers of `run` in `node`'s record tree.
    private func store(_ run: RecordPointerRun, in node: inout Node) throws(FileSystemError) {
        guard let first = run.first else { return }
        try setRecordPointers(from: first, run.pointers, in: &node)
    }

    /// Moves inline content into records (the node keeps its size).
    private func convertInlineToRecords(_ node: inout Node) throws(FileSystemError) {
        let saved = Array(node.data[0..<Int(min(node.size, UInt64(RedoxFS.inlineDataSize)))])
        node.flags &= ~Node.inlineDataFlag
        node.data = [UInt8](repeating: 0, count: RedoxFS.inlineDataSize)
        let size = node.size
        node.size = 0
        if !saved.isEmpty {
            try withRawBytes(saved) { (raw) throws(FileSystemError) in _ = try writeContent(raw, at: 0, to: &node) }
        }
        node.size = size
    }

    /// Changes bytes [within, within + count) of record `record`, storing the new content and
    /// freeing the old (the caller points the record at the pointer returned); nil when they were
    /// equal already.
    private func writeRecord(
        _ record: UInt64, within: Int, bytes: UnsafeRawBufferPointer, node: inout Node, prepared: PreparedRecordWrite? = nil
    ) throws(FileSystemError) -> BlockPointer? {
        let old = try withReader { (reader) throws(FormatError) in try reader.recordPointer(record, of: node) }
        // A stale pointer past the end (left by upstream's truncate): its bytes are not file content.
        let pastTheEnd = !old.isNull && record >= node.recordCount
        let span = WriteSpan(offset: record * node.recordSize + UInt64(within), count: bytes.count)
        if let prepared, !pastTheEnd, prepared.applies(to: record, spans: [span], old: old, recordSize: node.recordSize) {
            return try storeRecord(prepared, replacing: old, node: &node)
        }
        var content: [UInt8] = []
        var marks: RecordMarks?
        if !old.isNull && !pastTheEnd { (content, marks) = try contentForRewrite(old) }
        guard RecordMerge.merge(&content, within: within, bytes: bytes, evenIfSame: pastTheEnd) else { return nil }
        return try storeRecord(
            content, replacing: old, node: &node, changed: pastTheEnd ? [] : [within..<within + bytes.count], marks: marks)
    }

    /// Stores a prepared record in place of `old` (which it was prepared from), as `storeRecord`.
    func storeRecord(_ prepared: PreparedRecordWrite, replacing old: BlockPointer, node: inout Node) throws(FileSystemError) -> BlockPointer {
        if let pointer = try overwriteInPlace(
            old, with: prepared.stored, decompressionLevel: prepared.decompressionLevel, hash: prepared.hash) {
            return pointer
        }
        let pointer = try writeBlock(prepared.stored, decompressionLevel: prepared.decompressionLevel, charging: &node, hash: prepared.hash)
        release(old, charging: &node)
        return pointer
    }

    /// Stores `content` as record `record` in place of `old` (freed), charging `node`.
    private func replaceRecord(_ record: UInt64, old: BlockPointer, with content: [UInt8], node: inout Node) throws(FileSystemError) {
        try setRecordPointer(record, to: try storeRecord(content, replacing: old, node: &node), in: &node)
    }

    /// Stores `content` as a record in place of `old`: overwritten when the open transaction
    /// made `old`, else in a new block with `old` freed; `node` is charged. Returns the pointer
    /// the caller must put where `old` was (until then nothing reads that place). `changed`:
    /// where `content` differs from `old`'s (offsets in the record; empty: unknown), for
    /// `storedForm`; `marks`: `old`'s page marks (`contentForRewrite`), so that a plain record is
    /// hashed from its first changed page on.
    func storeRecord(
        _ content: [UInt8], replacing old: BlockPointer, node: inout Node, changed: [Range<Int>] = [], marks: RecordMarks? = nil
    ) throws(FileSystemError) -> BlockPointer {
        let (stored, decompressionLevel) = storedForm(of: content, replacing: old, changed: changed)
        var hash: UInt64?
        if let marks, decompressionLevel == 0, !changed.isEmpty { hash = seaHash(of: stored, marks: marks, changed: changed) }
        if let pointer = try overwriteInPlace(old, with: stored, decompressionLevel: decompressionLevel, hash: hash) { return pointer }
        let pointer = try writeBlock(stored, decompressionLevel: decompressionLevel, charging: &node, hash: hash)
        release(old, charging: &node)
        return pointer
    }

    /// The bytes a record's logical content is stored as, and the pointer's decompression level
    /// (0: stored plain): compressed when that saves a level, as upstream decides (spec §9.4),
    /// unless `content` is record `old` (stored plain) with a little changed at `changed`
    /// (offsets in the record) that leaves it as incompressible as it was: then stored plain
    /// without a try (`CompressionOutlook`). `old` null or `changed` empty: always tried.
    func storedForm(
        of content: [UInt8], replacing old: BlockPointer = .null, changed: [Range<Int>] = []
    ) -> (bytes: [UInt8], decompressionLevel: UInt8) {
        let level = BlockLevel.forBytes(content.count)
        let tried = level >= 1 && content.withUnsafeBufferPointer {
            CompressionOutlook.isWorthTrying($0, old: old, changed: changed, codec: codec)
        }
        lock.guarded {
            formedRecords &+= 1
            if tried { compressionTries &+= 1 }
        }
        guard tried else { return (content, 0) }
        // Kept iff the 2-byte length plus the block fit in 64 KiB and a lower level, i.e. in half
        // the record: the codec may stop once its output passes that (incompressible data).
        let limit = min(RedoxFS.maxCompressedRecord, RedoxFS.blockSize << Int(level - 1)) - CompressedRecord.prefixSize
        guard let compressed = content.withUnsafeBufferPointer({ codec.compress($0, limit: limit) }) else {
            return (content, 0)
        }
        let total = compressed.count + CompressedRecord.prefixSize
        var stored = [UInt8](repeating: 0, count: RedoxFS.blockSize << Int(BlockLevel.forBytes(total)))
        stored[0] = UInt8(compressed.count & 0xFF)
        stored[1] = UInt8(compressed.count >> 8)
        stored.withUnsafeMutableBytes { raw in
            compressed.withUnsafeBytes { (raw.baseAddress! + CompressedRecord.prefixSize).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        return (stored, level)
    }

    /// Points record `record` at `pointer`, rewriting the BlockLists on its path copy-on-write
    /// (deepest first), creating missing ones and freeing ones that become empty.
    func setRecordPointer(_ record: UInt64, to pointer: BlockPointer, in node: inout Node) throws(FileSystemError) {
        try setRecordPointers(from: record, [pointer], in: &node)
    }

    /// Points records `first`, `first + 1`, … at `pointers`: records that lie in one BlockList
    /// (or, direct records, in the node), as `RecordPointerRun` groups them.
    func setRecordPointers(from first: UInt64, _ pointers: [BlockPointer], in node: inout Node) throws(FileSystemError) {
        guard let path = RecordPath(record: first) else { throw .system(operation: "write", path: "file", errno: POSIXCode.EFBIG) }
        if path.indices.isEmpty {
            for (k, pointer) in pointers.enumerated() { node.setLevelPointer(path.slot + k, pointer) }
            return
        }
        var lists: [BlockList] = []
        var listPointers: [BlockPointer] = []
        var current = node.levelPointer(path.slot)
        for index in path.indices {
            let list: BlockList
            if current.isNull {
                list = BlockList()
            } else {
                let at = current
                list = try withReader { (reader) throws(FormatError) in BlockList(block: try reader.reader.read(at, as: .blockList)) }
            }
            lists.append(list)
            listPointers.append(current)
            current = list.pointers[index]
        }
        var child = BlockPointer.null
        for depth in stride(from: lists.count - 1, through: 0, by: -1) {
            var list = lists[depth]
            if depth == lists.count - 1 {
                for (k, pointer) in pointers.enumerated() { list.pointers[path.indices[depth] + k] = pointer }
            } else {
                list.pointers[path.indices[depth]] = child
            }
            if list.isEmpty {
                release(listPointers[depth], charging: &node)
                child = .null
            } else if let rewritten = try overwriteInPlace(listPointers[depth], with: list.encode(), decompressionLevel: 0) {
                child = rewritten
            } else {
                child = try writeBlock(list.encode(), charging: &node)
                release(listPointers[depth], charging: &node)
            }
        }
        node.setLevelPointer(path.slot, child)
    }

    /// Sets `node`'s size, freeing records past a smaller size and zeroing the bytes after the new end.
    func truncateContent(_ node: inout Node, to size: UInt64) throws(FileSystemError) {
        let oldSize = node.size
        if size == oldSize { return }
        if node.hasInlineData {
            let limit = RedoxFS.inlineDataSize
            let low = Int(min(size, oldSize, UInt64(limit)))
            let high = Int(min(max(size, oldSize), UInt64(limit)))
            for i in low..<high { node.data[i] = 0 }
            node.size = size
            return
        }
        let recordSize = node.recordSize
        if size < oldSize {
            let keep = size / recordSize + (size % recordSize == 0 ? 0 : 1)
            var record = node.recordCount
            while record > keep {
                record -= 1
                try freeRecord(record, of: &node)
            }
            node.size = size
            let within = size % recordSize
            if within != 0 {
                try zeroRecordTail(size / recordSize, from: Int(within), node: &node)
            }
        } else {
            // Growing: bytes past the old end in its last record must read as zeros.
            let within = oldSize % recordSize
            if within != 0 {
                node.size = min(size, (oldSize / recordSize + 1) * recordSize)
                try zeroRecordTail(oldSize / recordSize, from: Int(within), node: &node)
            }
            node.size = size
        }
    }

    private func zeroRecordTail(_ record: UInt64, from within: Int, node: inout Node) throws(FileSystemError) {
        let old = try withReader { (reader) throws(FormatError) in try reader.recordPointer(record, of: node) }
        guard !old.isNull else { return }
        let codec = self.codec
        var content = try withReader { (reader) throws(FormatError) in try reader.recordContent(old, codec: codec) }
        guard within < content.count, content[within...].contains(where: { $0 != 0 }) else { return }
        for i in within..<content.count { content[i] = 0 }
        // Keep the smallest level that holds the remaining bytes.
        let level = BlockLevel.forBytes(within)
        content.removeLast(content.count - (RedoxFS.blockSize << Int(level)))
        try replaceRecord(record, old: old, with: content, node: &node)
    }

    private func freeRecord(_ record: UInt64, of node: inout Node) throws(FileSystemError) {
        let old = try withReader { (reader) throws(FormatError) in try reader.recordPointer(record, of: node) }
        guard !old.isNull else { return }
        try setRecordPointer(record, to: .null, in: &node)
        release(old, charging: &node)
    }
}

/// New pointers of consecutive records that one `setRecordPointers` call can store: all direct
/// (in the node's level area, tier 0) or all in the same BlockList.
struct RecordPointerRun {
    private(set) var first: UInt64?
    private(set) var pointers: [BlockPointer] = []
    private var parent: RecordPath?

    /// Adds record `record`'s pointer; false (nothing added) when it does not continue the run.
    mutating func append(_ record: UInt64, _ pointer: BlockPointer) -> Bool {
        guard let path = RecordPath(record: record) else { return first == nil ? start(record, pointer, nil) : false }
        var key = path
        if !key.indices.isEmpty { key.indices.removeLast() }
        key.slot = key.indices.isEmpty && path.indices.isEmpty ? -1 : key.slot
        guard let first else { return start(record, pointer, key) }
        guard record == first + UInt64(pointers.count), key == parent else { return false }
        pointers.append(pointer)
        return true
    }

    private mutating func start(_ record: UInt64, _ pointer: BlockPointer, _ key: RecordPath?) -> Bool {
        first = record
        pointers = [pointer]
        parent = key
        return true
    }
}
