import RedoxFSFormat

/// Whether a rewritten record is worth an LZ4 try of the whole record. Upstream tries every
/// record of level 1 or more it writes (spec §9.4); a record stored plain (the try failed) that a
/// small write changes nearly always fails again, and on random data the try is the largest cost
/// of a 4 KiB write after the hashes. Storing plain is always valid (readers follow the pointer's
/// decompression level), so only the stored form can differ from upstream's, never the data.
///
/// The try is skipped when the old record was stored plain at the level the new one has, the
/// bytes written cover less than a quarter of it, and none of the 4 KiB pages of the record they
/// touch compresses on its own to 7/8 of its size or less. A page that does (zeros, text) makes
/// the whole record tried. A record fits in half its size only when its pages save about half
/// on average, so one that becomes compressible piece by piece is tried at the pieces that do it.
/// Stored plain where upstream would compress: a record within one page's small saving (< 1/8
/// of a page) of the limit, and new bytes that repeat other bytes of the record (a block copied
/// inside it), which LZ4 finds only in the whole record; such a record stays plain until a write
/// that compresses, or covers a quarter of it, comes. The limit is 1/8, not less: fio's write
/// buffers (random bytes with the offset at the start of each 512-byte sector) save ~5%.
enum CompressionOutlook {
    /// The page size of the samples.
    static let pageBytes = RedoxFS.blockSize

    /// Whether to try LZ4 on `content`, record `old` with the bytes at `changed` (offsets in the
    /// record) written into it; `codec` tries the pages.
    static func isWorthTrying<Codec: LZ4Codec>(
        _ content: UnsafeBufferPointer<UInt8>, old: BlockPointer, changed: [Range<Int>], codec: Codec
    ) -> Bool {
        let level = BlockLevel.forBytes(content.count)
        guard !old.isNull, old.address.decompressionLevel == 0, old.address.level == level,
            content.count == RedoxFS.blockSize << Int(level), !changed.isEmpty else { return true }
        var written = 0
        for range in changed {
            guard range.lowerBound >= 0, range.upperBound <= content.count else { return true }
            written += range.count
        }
        guard written < content.count / 4 else { return true }
        var pages: [Int] = []
        for range in changed where !range.isEmpty {
            for page in range.lowerBound / pageBytes...(range.upperBound - 1) / pageBytes { pages.append(page) }
        }
        if pages.count > 1 { pages.sort() }
        var last = -1
        for page in pages where page != last {
            last = page
            let sample = UnsafeBufferPointer(rebasing: content[page * pageBytes..<(page + 1) * pageBytes])
            if codec.compress(sample, limit: pageBytes - pageBytes / 8) != nil { return true }
        }
        return false
    }
}
