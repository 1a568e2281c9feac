import RedoxFSFormat

/// The record size of regular files: what ZFS calls `recordsize`. Every record of a file is
/// stored (and hashed, compressed, encrypted, rewritten copy-on-write) as one unit, so a 4 KiB
/// random read or write costs one record: small records suit databases, VM images and other
/// files read and written at random; large records compress better and need fewer pointers.
/// A node keeps the record level it was created with (format v8 §8.6: `record_level`, 0…5);
/// upstream creates files with 128 KiB records, the default here too.
public struct RecordSize: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The node's `record_level`: records of 4096 << level bytes.
    public let level: UInt32

    /// The record size upstream gives every regular file (level 5, 128 KiB).
    public static let upstream = RecordSize(validLevel: RedoxFS.recordLevel)
    /// Every size a regular file can have, smallest first (4 KiB … 128 KiB).
    public static let all: [RecordSize] = (0...RedoxFS.recordLevel).map { RecordSize(validLevel: $0) }

    private init(validLevel: UInt32) { level = validLevel }

    /// The size of `level` (0…5), or nil past the format's largest file record level.
    public init?(level: UInt32) {
        guard level <= RedoxFS.recordLevel else { return nil }
        self.level = level
    }

    /// The size of `bytes` bytes, or nil unless it is 4096 << level for a level 0…5.
    public init?(bytes: UInt64) {
        guard let match = Self.all.first(where: { $0.bytes == bytes }) else { return nil }
        self = match
    }

    /// Parses `4k`, `8K`, `16KiB`, `128k`, or a plain byte count (`4096`); nil for anything else.
    public init?(parsing text: String) {
        var digits: UInt64 = 0
        var suffix: [UInt8] = []
        var sawDigit = false
        for byte in text.utf8 {
            if suffix.isEmpty, byte >= 0x30, byte <= 0x39 {
                let (times, overflowA) = digits.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = times.addingReportingOverflow(UInt64(byte - 0x30))
                guard !overflowA, !overflowB else { return nil }
                digits = sum
                sawDigit = true
            } else {
                // Lowercase ASCII letters only; anything else fails the suffix match below.
                suffix.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
            }
        }
        guard sawDigit else { return nil }
        let k: [UInt8] = [0x6B], kb: [UInt8] = [0x6B, 0x62], kib: [UInt8] = [0x6B, 0x69, 0x62]
        let bytes: UInt64
        if suffix.isEmpty || suffix == [0x62] {
            bytes = digits
        } else if suffix == k || suffix == kb || suffix == kib {
            guard digits <= UInt64.max >> 10 else { return nil }
            bytes = digits << 10
        } else {
            return nil
        }
        self.init(bytes: bytes)
    }

    /// Bytes per record.
    public var bytes: UInt64 { UInt64(RedoxFS.blockSize) << UInt64(level) }

    /// `4k` … `128k`, the form the mount option takes.
    public var description: String { String(bytes >> 10) + "k" }
}
