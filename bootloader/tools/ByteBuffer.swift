/// A growable little-endian byte buffer used by the host tools to read and write binary formats.
struct ByteBuffer {
    /// The bytes written so far.
    var bytes: [UInt8]

    /// A buffer of `count` zero bytes.
    init(count: Int) {
        bytes = [UInt8](repeating: 0, count: count)
    }

    /// Wraps existing bytes.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Grows the buffer with zeros so that it holds at least `count` bytes.
    mutating func reserve(_ count: Int) {
        if bytes.count < count { bytes += [UInt8](repeating: 0, count: count - bytes.count) }
    }

    /// Stores `value` at `offset` in `size` little-endian bytes, growing the buffer if needed.
    mutating func store(_ value: UInt64, at offset: Int, size: Int) {
        reserve(offset + size)
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    mutating func store16(_ value: UInt16, at offset: Int) { store(UInt64(value), at: offset, size: 2) }
    mutating func store32(_ value: UInt32, at offset: Int) { store(UInt64(value), at: offset, size: 4) }
    mutating func store64(_ value: UInt64, at offset: Int) { store(value, at: offset, size: 8) }

    /// Copies `source` to `offset`, growing the buffer if needed.
    mutating func store(_ source: ArraySlice<UInt8>, at offset: Int) {
        reserve(offset + source.count)
        bytes.replaceSubrange(offset..<offset + source.count, with: source)
    }

    /// Copies the ASCII bytes of `text` to `offset`.
    mutating func storeASCII(_ text: String, at offset: Int) {
        store(ArraySlice(Array(text.utf8)), at: offset)
    }

    /// Reads `size` little-endian bytes at `offset`.
    func load(at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    func load16(at offset: Int) -> UInt16 { UInt16(load(at: offset, size: 2)) }
    func load32(at offset: Int) -> UInt32 { UInt32(load(at: offset, size: 4)) }
    func load64(at offset: Int) -> UInt64 { load(at: offset, size: 8) }
}

/// Rounds `value` up to a multiple of `alignment` (a power of two).
func alignUp<T: BinaryInteger>(_ value: T, _ alignment: T) -> T {
    (value + alignment - 1) / alignment * alignment
}
