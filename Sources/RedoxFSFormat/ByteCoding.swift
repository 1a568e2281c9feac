/// Little-endian loads and stores on byte arrays, the only byte order the format uses.
extension Array where Element == UInt8 {
    @inline(__always)
    func le16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    @inline(__always)
    func le32(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(self[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    @inline(__always)
    func le64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(self[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    @inline(__always)
    mutating func storeLE16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    @inline(__always)
    mutating func storeLE32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    @inline(__always)
    mutating func storeLE64(_ value: UInt64, at offset: Int) {
        for i in 0..<8 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    /// Whether every byte in `range` is zero.
    @inline(__always)
    func isZero(_ range: Range<Int>) -> Bool {
        for i in range where self[i] != 0 { return false }
        return true
    }
}
