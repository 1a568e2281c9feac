import RedoxFSFormat

/// Bytes to write at an offset of a file: one of the ranges of `write(_:ranges:prepared:)`.
public struct WriteRange: Sendable {
    public let offset: UInt64
    public var bytes: [UInt8]

    public init(offset: UInt64, bytes: [UInt8]) {
        self.offset = offset
        self.bytes = bytes
    }

    var span: WriteSpan { WriteSpan(offset: offset, count: bytes.count) }
}

extension RecordMerge {
    /// Writes `ranges` (all inside the record) in turn into `content`, the record whose first byte
    /// is at `recordStart` of the file, extended with zeros to the level that holds them; false,
    /// `content` untouched, when that changes nothing, unless `evenIfSame`. A record read for
    /// this write is changed where it lies (not copied first).
    static func merge(_ content: inout [UInt8], ranges: [WriteRange], recordStart: UInt64, evenIfSame: Bool) -> Bool {
        var end = 0
        var same = true
        for range in ranges {
            let within = Int(range.offset - recordStart)
            end = max(end, within + range.bytes.count)
            if same && !evenIfSame {
                same = range.bytes.withUnsafeBytes { isSame(content, within: within, bytes: $0) }
            }
        }
        if same && !evenIfSame { return false }
        let old = content.count
        let wanted = max(old, RedoxFS.blockSize << Int(BlockLevel.forBytes(end)))
        if old != wanted {
            content = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, initialized in
                let base = UnsafeMutableRawPointer(buffer.baseAddress!)
                if old > 0 { content.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: old) } }
                (base + old).initializeMemory(as: UInt8.self, repeating: 0, count: wanted - old)
                initialized = wanted
            }
        }
        content.withUnsafeMutableBytes { target in
            for range in ranges where !range.bytes.isEmpty {
                let within = Int(range.offset - recordStart)
                range.bytes.withUnsafeBytes { (target.baseAddress! + within).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
        }
        return true
    }
}

/// Several writes into one record made as one: the record is read, merged, compressed, hashed
/// and stored once, not once per write (the FUSE mount gathers the writeback's pages this way).
extension FileSystemEngine {
    /// `preparation(of:at:_:)` for `ranges` written in order, all inside one existing record:
    /// the record they make together, worked out under the shared lock, for
    /// `write(_:ranges:prepared:)` with the same ranges.
    public func preparation(of id: UInt32, ranges: [WriteRange]) -> WritePreparation {
        let ranges = ranges.filter { !$0.bytes.isEmpty }
        guard !ranges.isEmpty, ranges.allSatisfy({ $0.offset <= UInt64.max - UInt64($0.bytes.count) }) else { return .none }
        return prepareRecord(id, spans: ranges.map(\.span)) { content, recordStart in
            RecordMerge.merge(&content, ranges: ranges, recordStart: recordStart, evenIfSame: false)
        }
    }

    /// Writes `ranges` into node `id` in order (later bytes win where they overlap) as one
    /// operation: all of them or, when it fails, none. When they all lie inside one record of a
    /// file's records, that record is made once; otherwise each range is written in turn.
    /// `prepared`: `preparation(of:ranges:)`'s result for the same ranges, used when it still
    /// applies (its claim ends here either way). `touchingTimes`: as in `write(_:at:_:prepared:touchingTimes:)`.
    public func write(
        _ id: UInt32, ranges: [WriteRange], prepared: PreparedRecordWrite? = nil, touchingTimes: Bool = true
    ) throws(FileSystemError) {
        defer { if let prepared { releaseClaim(of: prepared) } }
        let ranges = ranges.filter { !$0.bytes.isEmpty }
        guard !ranges.isEmpty else { return }
        for range in ranges where range.offset > UInt64.max - UInt64(range.bytes.count) {
            throw .system(operation: "write", path: "node \(id)", errno: POSIXCode.EFBIG)
        }
        try lock.locked { () throws(FileSystemError) in
            try requireWritable()
            try transaction { () throws(FileSystemError) in
                var node = try loadNode(id)
                guard !node.isDirectory else { throw .system(operation: "write", path: "node \(id)", errno: POSIXCode.EISDIR) }
                guard node.kind?.isSpecial != true else { throw .system(operation: "write", path: "node \(id)", errno: POSIXCode.EINVAL) }
                let ahead = prepared.flatMap { $0.id == id ? $0 : nil }
                if try writeContent(ranges: ranges, to: &node, prepared: ahead) {
                    if touchingTimes { touchModification(&node) }
                    try saveNode(id, node)
                }
            }
        }
    }

    /// Writes `ranges` (none empty) into `node` in order; whether anything changed.
    func writeContent(ranges: [WriteRange], to node: inout Node, prepared: PreparedRecordWrite?) throws(FileSystemError) -> Bool {
        let recordSize = node.recordSize
        let record = ranges[0].offset / recordSize
        let inOneRecord = ranges.allSatisfy { $0.offset / recordSize == record && ($0.offset + UInt64($0.bytes.count) - 1) / recordSize == record }
        guard inOneRecord, !node.hasInlineData, record < RecordPath.recordLimit else {
            var changed = false
            for range in ranges {
                let wrote = try withRawBytes(range.bytes) { (raw) throws(FileSystemError) in try writeContent(raw, at: range.offset, to: &node) }
                changed = changed || wrote
            }
            return changed
        }
        let old = try withReader { (reader) throws(FormatError) in try reader.recordPointer(record, of: node) }
        // A stale pointer past the end (left by upstream's truncate): its bytes are not file content.
        let pastTheEnd = !old.isNull && record >= node.recordCount
        var changed = false
        var pointer: BlockPointer?
        let spans = ranges.map(\.span)
        if let prepared, !pastTheEnd, prepared.applies(to: record, spans: spans, old: old, recordSize: recordSize) {
            pointer = try storeRecord(prepared, replacing: old, node: &node)
        } else {
            var content: [UInt8] = []
            var marks: RecordMarks?
            if !old.isNull && !pastTheEnd { (content, marks) = try contentForRewrite(old) }
            let recordStart = record * recordSize
            if RecordMerge.merge(&content, ranges: ranges, recordStart: recordStart, evenIfSame: pastTheEnd) {
                let changed = pastTheEnd ? [] : WriteSpan.changedRanges(spans, recordStart: recordStart)
                pointer = try storeRecord(content, replacing: old, node: &node, changed: changed, marks: marks)
            }
        }
        if let pointer {
            try setRecordPointer(record, to: pointer, in: &node)
            changed = true
        }
        let end = ranges.reduce(0) { max($0, $1.offset + UInt64($1.bytes.count)) }
        if end > node.size {
            node.size = end
            changed = true
        }
        return changed
    }
}
