import RedoxFSFormat

/// A large read in pieces of whole records, so that a platform with two processors decrypts
/// and verifies them at the same time (`EngineProviders.forEachConcurrently`: the hosted
/// providers share the pieces between the caller and a helper thread; the core's default reads
/// them in order). Every piece reads the same node, under the lock the caller holds for the
/// whole read, so the bytes are those of one state, as in one piece; each record is verified
/// before its bytes are copied out, and a failure is reported as the one-piece read reports it:
/// the first failing piece's, in file order.
extension FileSystemEngine {
    /// The smallest read `splitsLargeReads` splits: a FUSE READ of 1 MiB (eight default records)
    /// is, a default record of 128 KiB is not (a helper thread would cost about what it saves).
    static var splitReadMinimumBytes: Int { 512 << 10 }

    /// The size of a piece, when records are smaller (else one record).
    static var splitReadPieceBytes: UInt64 { 128 << 10 }

    /// How a read of `count` bytes of `node` at `offset` is split: the piece size (a multiple of
    /// the record size) and the number of pieces; nil when it is read in one piece.
    func splitPieces(of node: Node, at offset: UInt64, count: Int) -> (size: UInt64, count: Int)? {
        // The cheap tests first: a small read (a random 4 KiB READ) is never split.
        guard count >= Self.splitReadMinimumBytes, !node.hasInlineData, offset < node.size else { return nil }
        let total = min(UInt64(count), node.size - offset)
        guard total >= UInt64(Self.splitReadMinimumBytes), splitsLargeReadsStorage ?? isEncrypted else { return nil }
        let size = max(node.recordSize, Self.splitReadPieceBytes)
        let pieces = (offset + total - 1) / size - offset / size + 1
        guard pieces > 1 else { return nil }
        return (size, Int(pieces))
    }

    /// `readContent` of the pieces of `buffer` (up to the end of the file), each by
    /// `readContentInOnePiece`, through `providers.forEachConcurrently`.
    func readContent(
        _ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer,
        pieces: (size: UInt64, count: Int), recordsBypassCache: Bool?
    ) throws(FileSystemError) -> Int {
        let end = offset + min(UInt64(buffer.count), node.size - offset)
        let first = offset / pieces.size
        // Each piece's failure, written by the thread that reads it.
        var failures = [FileSystemError?](repeating: nil, count: pieces.count)
        failures.withUnsafeMutableBufferPointer { failures in
            providers.forEachConcurrently(count: pieces.count) { (index) in
                let start = max(offset, (first + UInt64(index)) * pieces.size)
                // To the piece's end without computing it (a damaged size near 2^64 would overflow).
                let stop = start + min(end - start, pieces.size - start % pieces.size)
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[Int(start - offset)..<Int(stop - offset)])
                do throws(FileSystemError) {
                    _ = try readContentInOnePiece(node, at: start, into: part, recordsBypassCache: recordsBypassCache)
                } catch {
                    failures[index] = error
                }
            }
        }
        for failure in failures {
            if let failure { throw failure }
        }
        return Int(end - offset)
    }
}
