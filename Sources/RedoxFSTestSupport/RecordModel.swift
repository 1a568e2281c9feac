import RedoxFSEngine
import RedoxFSFormat

/// A file's expected content in tests that write records: the bytes written, and each record as
/// the engine stores it when plain.
extension Array where Element == UInt8 {
    /// The content after `ranges` were written, grown with zeros where a range ends past it.
    public mutating func apply(_ ranges: [WriteRange]) {
        for range in ranges {
            let end = Int(range.offset) + range.bytes.count
            if end > count { self += [UInt8](repeating: 0, count: end - count) }
            replaceSubrange(Int(range.offset)..<end, with: range.bytes)
        }
    }

    /// Record `record` (of `recordSize` bytes) stored plain: its bytes, zeros up to the smallest
    /// level that holds them (a file's short last record is stored at a smaller level).
    public func storedRecord(_ record: Int, recordSize: Int) -> [UInt8] {
        let start = record * recordSize
        let bytes = Swift.max(0, Swift.min(count, start + recordSize) - start)
        let stored = RedoxFS.blockSize << Int(BlockLevel.forBytes(bytes))
        return Array(self[start..<start + bytes]) + [UInt8](repeating: 0, count: stored - bytes)
    }
}
