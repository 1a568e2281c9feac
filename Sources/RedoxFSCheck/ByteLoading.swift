/// Little-endian loads from raw blocks (the format core keeps its own helpers internal).
enum ByteLoading {
    static func le16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func le32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    static func le64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    /// Whether every byte of `bytes[range]` is zero (eight bytes at a time).
    static func isZero(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count)
        return bytes.withUnsafeBytes { raw in
            var offset = range.lowerBound
            while offset + 8 <= range.upperBound {
                if raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != 0 { return false }
                offset += 8
            }
            while offset < range.upperBound {
                if raw[offset] != 0 { return false }
                offset += 1
            }
            return true
        }
    }

    /// Whether the 16-byte block pointer at `offset` is null (its block index is zero).
    static func isNullPointer(_ bytes: [UInt8], _ offset: Int) -> Bool {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) >> 8 == 0 }
    }
}
