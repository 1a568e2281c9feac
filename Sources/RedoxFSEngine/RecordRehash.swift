import RedoxFSFormat

/// SeaHash's lanes at the end of each 4 KiB page of a record read for a rewrite (`marks[p]`:
/// after pages 0…p), so that the rewritten record's hash is computed from its first changed page
/// on, not from its start: the pages before it are the old record's, whose lanes the verifying
/// pass already made. A 4 KiB write into a 128 KiB record then hashes half the record on average
/// instead of all of it (the new record's hash and the old one's verify are the largest user-space
/// cost of a formation).
struct RecordMarks {
    let marks: [SeaHashLanes]

    static let pageBytes = RedoxFS.blockSize
}

extension FileSystemEngine {
    /// Record `old`, stored plain, read for a rewrite and verified (its hash is checked before
    /// this returns, as every read's is), with its page marks; nil when the record is stored
    /// compressed or comes from the cache (the caller then reads it as usual).
    func markedRecord(
        _ old: BlockPointer, reader: inout CachedBlockReader<Device, Providers.Cipher>
    ) throws(FormatError) -> (content: [UInt8], marks: RecordMarks)? {
        guard old.address.decompressionLevel == 0 else { return nil }
        let (bytes, verified) = try reader.readRecordUnverified(old)
        guard !verified else { return nil }
        let pageBytes = RecordMarks.pageBytes
        let pages = bytes.count / pageBytes
        var marks: [SeaHashLanes] = []
        marks.reserveCapacity(pages)
        var lanes = SeaHashLanes.initial
        let providers = self.providers
        bytes.withUnsafeBufferPointer { buffer in
            for page in 0..<pages {
                providers.seaHashAdvance(&lanes, over: UnsafeBufferPointer(rebasing: buffer[page * pageBytes..<(page + 1) * pageBytes]))
                marks.append(lanes)
            }
        }
        // Records are whole blocks: no partial row is left over.
        try verifyHash(SeaHash.finish(lanes, length: bytes.count), of: old, as: .record)
        return (bytes, RecordMarks(marks: marks))
    }

    /// Record `old`'s content for a rewrite by the write itself (not prepared): marked when it is
    /// stored plain and read from the device (`markedRecord`), else as `recordContent` gives it.
    /// A prepared write calls `contentForRewrite(_:reader:)` with the reader it already holds.
    func contentForRewrite(_ old: BlockPointer) throws(FileSystemError) -> (content: [UInt8], marks: RecordMarks?) {
        try withReader { (reader) throws(FormatError) in try contentForRewrite(old, reader: &reader) }
    }

    /// `contentForRewrite(_:)` read with `reader` (a prepared write reads the record's pointer
    /// with the same reader).
    func contentForRewrite(
        _ old: BlockPointer, reader: inout FileSystemReader<CachedBlockReader<Device, Providers.Cipher>>
    ) throws(FormatError) -> (content: [UInt8], marks: RecordMarks?) {
        if let (content, marks) = try markedRecord(old, reader: &reader.reader) { return (content, marks) }
        return (try reader.recordContent(old, codec: codec), nil)
    }

    /// The SeaHash of `stored`: the content `marks` were taken of, changed only at `changed`
    /// (offsets in the record), stored plain at the same size; from the first changed page on.
    func seaHash(of stored: [UInt8], marks: RecordMarks, changed: [Range<Int>]) -> UInt64 {
        let pageBytes = RecordMarks.pageBytes
        var first = Int.max
        for range in changed { first = min(first, range.lowerBound) }
        guard stored.count == marks.marks.count * pageBytes, first >= 0, first < stored.count else { return seaHash(stored) }
        let page = first / pageBytes
        var lanes = page == 0 ? SeaHashLanes.initial : marks.marks[page - 1]
        let providers = self.providers
        stored.withUnsafeBufferPointer { buffer in
            providers.seaHashAdvance(&lanes, over: UnsafeBufferPointer(rebasing: buffer[(page * pageBytes)...]))
        }
        return SeaHash.finish(lanes, length: stored.count)
    }
}
