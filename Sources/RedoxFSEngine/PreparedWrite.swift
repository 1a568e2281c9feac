import RedoxFSFormat

/// A write inside one existing record, worked out ahead of the write under the shared lock
/// (`prepareWrite`): the record's new stored form (merged, LZ4 tried) and its SeaHash. The write
/// itself (`write(_:at:_:prepared:)`, exclusive) then only allocates and links it, so the
/// expensive part of small writes runs on several threads at once and beside a commit's device
/// I/O. It applies only while the record still holds what it was prepared from (the same
/// pointer: block, levels and hash); otherwise the write makes the record again itself.
public struct PreparedRecordWrite: Sendable {
    let id: UInt32
    /// The record, and the byte ranges (offset in the file, length) written into it, in order.
    let record: UInt64
    let spans: [WriteSpan]
    let recordSize: UInt64
    let old: BlockPointer
    /// The stored bytes, a whole level long.
    let stored: [UInt8]
    let decompressionLevel: UInt8
    /// The SeaHash of `stored`.
    let hash: UInt64

    /// Whether this is the write of `spans` into record `record`, prepared from `old` in a file
    /// of `recordSize` records.
    func applies(to record: UInt64, spans: [WriteSpan], old: BlockPointer, recordSize: UInt64) -> Bool {
        self.recordSize == recordSize && self.record == record && self.spans == spans && self.old == old
    }

    /// Whether this is the write of `count` bytes at `offset` of node `id`.
    func isWrite(of id: UInt32, at offset: UInt64, count: Int) -> Bool {
        self.id == id && spans.count == 1 && spans[0] == WriteSpan(offset: offset, count: count)
    }
}

/// Where a write lies in a file: `count` bytes from `offset`.
struct WriteSpan: Equatable, Sendable {
    let offset: UInt64
    let count: Int

    /// Where `spans` (all inside the record whose first byte is at `recordStart` of the file) lie
    /// in the record: the `changed` ranges of `storedForm` and of the rehash from the first changed page.
    static func changedRanges(_ spans: [WriteSpan], recordStart: UInt64) -> [Range<Int>] {
        spans.map { Int($0.offset - recordStart)..<Int($0.offset - recordStart) + $0.count }
    }
}

/// What `preparation(of:at:_:)` made of a write.
public enum WritePreparation: Sendable {
    /// The record to pass to `write(_:at:_:prepared:)`.
    case prepared(PreparedRecordWrite)
    /// Another prepared write of the same record is out; ask again once it is written.
    case busy
    /// Nothing to prepare (see `prepareWrite`).
    case none
}

/// A record's logical content with new bytes written into it (spec §9.5).
enum RecordMerge {
    /// Writes `bytes` at `within` of `content`, extended with zeros to the level that holds them
    /// (a record only grows); false, `content` untouched, when that changes nothing, unless
    /// `evenIfSame`. A record read for this write is changed where it lies when it keeps its
    /// level (not copied first); else one pass writes the old bytes, the new ones and the zeros
    /// once each.
    static func merge(_ content: inout [UInt8], within: Int, bytes: UnsafeRawBufferPointer, evenIfSame: Bool) -> Bool {
        let end = within + bytes.count
        let old = content.count
        let wanted = max(old, RedoxFS.blockSize << Int(BlockLevel.forBytes(end)))
        if !evenIfSame && isSame(content, within: within, bytes: bytes) { return false }
        if old == wanted {
            if !bytes.isEmpty {
                content.withUnsafeMutableBytes { ($0.baseAddress! + within).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            }
            return true
        }
        content = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            if old > 0 { content.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: old) } }
            if old < within { (base + old).initializeMemory(as: UInt8.self, repeating: 0, count: within - old) }
            if !bytes.isEmpty { (base + within).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            let tail = max(end, old)
            if tail < wanted { (base + tail).initializeMemory(as: UInt8.self, repeating: 0, count: wanted - tail) }
            initialized = wanted
        }
        return true
    }

    /// Whether writing `bytes` at `within` leaves `content` (zeros past its end) as it is.
    static func isSame(_ content: [UInt8], within: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.isEmpty { return true }
        let inside = max(0, min(bytes.count, content.count - within))
        if inside > 0 && !content.matches(UnsafeRawBufferPointer(rebasing: bytes[0..<inside]), at: within) { return false }
        for i in inside..<bytes.count where bytes[i] != 0 { return false }
        return true
    }
}

extension FileSystemEngine {
    /// Works out the record that writing `bytes` at `offset` of node `id` makes, holding the lock
    /// shared (so several run at once, and beside a commit's device I/O), for
    /// `write(_:at:_:prepared:)` with the same bytes. Nil when there is nothing to prepare: the
    /// bytes do not lie inside one existing record of a regular file's content, nothing would
    /// change, or anything fails (the write itself then reports it).
    ///
    /// While a prepared write of a record is out (until `write(_:at:_:prepared:)` with it
    /// returns), nothing more is prepared for that record: the next write into it, most likely
    /// the neighbouring page of the same writeback, would be prepared from the record the first
    /// is about to replace, and made twice. That is only a matter of speed: whether a prepared
    /// record applies is checked against the record's pointer when it is written.
    public func prepareWrite(_ id: UInt32, at offset: UInt64, _ bytes: UnsafeRawBufferPointer) -> PreparedRecordWrite? {
        if case .prepared(let prepared) = preparation(of: id, at: offset, bytes) { return prepared }
        return nil
    }

    /// `prepareWrite`, telling apart a record whose prepared write is out (`busy`: a caller may
    /// wait for that write and ask again, rather than write without preparing and make the
    /// other prepared record stale) from nothing to prepare.
    public func preparation(of id: UInt32, at offset: UInt64, _ bytes: UnsafeRawBufferPointer) -> WritePreparation {
        guard !bytes.isEmpty else { return .none }
        return prepareRecord(id, spans: [WriteSpan(offset: offset, count: bytes.count)]) { content, recordStart in
            RecordMerge.merge(&content, within: Int(offset - recordStart), bytes: bytes, evenIfSame: false)
        }
    }

    /// The record that writing `spans` (in one record, in order) of node `id` makes, as
    /// `preparation(of:at:_:)` describes; `merge` turns the record's old content into its new
    /// one in place, given the offset of its first byte in the file (false: nothing changes).
    func prepareRecord(
        _ id: UInt32, spans: [WriteSpan], merge: (inout [UInt8], UInt64) -> Bool
    ) -> WritePreparation {
        guard let first = spans.first else { return .none }
        let total = spans.reduce(0) { $0 + $1.count }
        var claim: RecordClaims.Key?
        var busy = false
        let prepared = try? lock.sharedLocked { () throws(FileSystemError) -> PreparedRecordWrite? in
            guard isWritable, !closed, failure == nil, total <= writePieceBytes else { return nil }
            let node = try loadNode(id)
            guard node.kind == .file, !node.hasInlineData else { return nil }
            let recordSize = node.recordSize
            let record = first.offset / recordSize
            for span in spans {
                let within = span.offset &- record &* recordSize
                guard span.count > 0, span.offset / recordSize == record, within + UInt64(span.count) <= recordSize else { return nil }
            }
            guard record < node.recordCount else { return nil }
            let key = RecordClaims.Key(id: id, record: record)
            guard lock.guarded({ recordClaims.claim(key) }) else {
                busy = true
                return nil
            }
            claim = key
            var (old, content, marks) = try withReader { (reader) throws(FormatError) -> (BlockPointer, [UInt8], RecordMarks?) in
                let old = try reader.recordPointer(record, of: node)
                if old.isNull { return (old, [], nil) }
                let (content, marks) = try contentForRewrite(old, reader: &reader)
                return (old, content, marks)
            }
            let recordStart = record * recordSize
            guard !old.isNull, merge(&content, recordStart) else { return nil }
            let changed = WriteSpan.changedRanges(spans, recordStart: recordStart)
            let (stored, decompressionLevel) = storedForm(of: content, replacing: old, changed: changed)
            guard stored.count == RedoxFS.blockSize << Int(BlockLevel.forBytes(stored.count)) else { return nil }
            let hash: UInt64
            if let marks, decompressionLevel == 0 {
                hash = seaHash(of: stored, marks: marks, changed: changed)
            } else {
                hash = seaHash(stored)
            }
            return PreparedRecordWrite(
                id: id, record: record, spans: spans, recordSize: recordSize, old: old, stored: stored,
                decompressionLevel: decompressionLevel, hash: hash)
        }
        guard let prepared = prepared ?? nil else {
            if let claim { lock.guarded { recordClaims.release(claim) } }
            return busy ? .busy : .none
        }
        return .prepared(prepared)
    }

    /// Ends the claim of `prepared`'s record (the write with it is done, or abandoned).
    /// `write(_:at:_:prepared:)` does this itself; a caller that prepared a write and then does
    /// not make it calls this, or the record's next writes wait for a write that never comes.
    public func releaseClaim(of prepared: PreparedRecordWrite) {
        let key = RecordClaims.Key(id: prepared.id, record: prepared.record)
        lock.guarded { recordClaims.release(key) }
    }
}

/// The records prepared writes are out for (see `prepareWrite`). Only `guarded` bodies use it.
/// A claim whose write never came (its caller failed first) is forgotten when the set grows
/// past `limit`: claims only save work, they decide nothing.
final class RecordClaims {
    struct Key: Hashable {
        let id: UInt32
        let record: UInt64
    }

    static let limit = 1024
    private var keys: Set<Key> = []

    /// Claims `key`; false when it is claimed already.
    func claim(_ key: Key) -> Bool {
        if keys.count >= Self.limit { keys.removeAll(keepingCapacity: true) }
        return keys.insert(key).inserted
    }

    func release(_ key: Key) {
        keys.remove(key)
    }
}
