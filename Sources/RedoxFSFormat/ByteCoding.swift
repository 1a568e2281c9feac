/// Little-endian loads and stores on byte arrays, the only byte order the format uses.
extension Array where Element == UInt8 {
    @inline(__always)
    func le16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    @inline(__always)
    func le32(at offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= count)
        return withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    @inline(__always)
    func le64(at offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset + 8 <= count)
        return withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    @inline(__always)
    mutating func storeLE16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    @inline(__always)
    mutating func storeLE32(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= count)
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    }

    @inline(__always)
    mutating func storeLE64(_ value: UInt64, at offset: Int) {
        precondition(offset >= 0 && offset + 8 <= count)
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }
    }

    /// Whether the bytes from `offset` equal `other` (false when they run past the end).
    @inline(__always)
    public func matches(_ other: [UInt8], at offset: Int) -> Bool {
        other.withUnsafeBytes { matches($0, at: offset) }
    }

    /// Whether the bytes from `offset` equal `other` (false when they run past the end), compared
    /// eight at a time (the format's `memcmp`, which Embedded Swift has no libc for).
    public func matches(_ other: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        withUnsafeBytes { $0.matches(other, at: offset) }
    }

    /// Whether every byte in `range` is zero (128 bytes at a time, then eight, then one).
    @inline(__always)
    public func isZero(_ range: Range<Int>) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        return withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }  // empty array: empty range
            var row = base + range.lowerBound
            var left = range.count
            // Sixteen words OR-ed per step: no overflow or bounds checks in the loop.
            while left >= 128 {
                var any: UInt64 = 0
                for word in 0..<16 { any |= row.loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self) }
                if any != 0 { return false }
                row += 128
                left &-= 128
            }
            while left >= 8 {
                if row.loadUnaligned(as: UInt64.self) != 0 { return false }
                row += 8
                left &-= 8
            }
            while left > 0 {
                if row.load(as: UInt8.self) != 0 { return false }
                row += 1
                left &-= 1
            }
            return true
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether the bytes from `offset` equal `other` (false when they run past the end), compared
    /// eight, then four bytes at a time: the one byte comparison of the format core (`memcmp`,
    /// which Embedded Swift has no libc for).
    @inline(__always)
    public func matches(_ other: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard offset >= 0, offset <= count, other.count <= count - offset else { return false }
        var i = 0
        while i + 8 <= other.count {
            if loadUnaligned(fromByteOffset: offset + i, as: UInt64.self)
                != other.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        if i + 4 <= other.count {
            if loadUnaligned(fromByteOffset: offset + i, as: UInt32.self)
                != other.loadUnaligned(fromByteOffset: i, as: UInt32.self) { return false }
            i += 4
        }
        while i < other.count {
            if self[offset + i] != other[i] { return false }
            i += 1
        }
        return true
    }
}
