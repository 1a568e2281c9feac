/// SeaHash (crate seahash 4.1.0, function `hash`): the checksum of headers, block pointers
/// and directory names.
public enum SeaHash {
    private static let k: UInt64 = 0x6EED_0E9D_A4D9_4A4F

    @inline(__always)
    private static func diffuse(_ value: UInt64) -> UInt64 {
        var x = value &* k
        x ^= (x &>> 32) &>> (x &>> 60)  // the shift is at most 15: no over-shift to handle
        return x &* k
    }

    /// The hash of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash($0) }
    }

    /// The hash of the first `count` bytes of `bytes`.
    public static func hash(_ bytes: [UInt8], count: Int) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    /// The hash of the bytes in `buffer`.
    public static func hash(_ buffer: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var a: UInt64 = 0x16F1_1FE8_9B0D_677C
        var b: UInt64 = 0xB480_A793_D8E6_C86C
        var c: UInt64 = 0x6FE2_E5AA_F078_EBC9
        var d: UInt64 = 0x14F9_94A4_C525_9381
        let n = buffer.count
        guard let base = buffer.baseAddress else {
            return diffuse(a ^ b ^ c ^ d ^ UInt64(n))
        }
        let raw = UnsafeRawPointer(base)
        // Whole 32-byte rows: one pointer step per row, no per-lane offset arithmetic, no checks
        // (34 instructions per row). About 8 GB/s on the development machine (`redoxfs-bench
        // seahash`): the two 64-bit multiplies per word keep the multiplier busy; hashing two
        // blocks interleaved (eight chains instead of four) measured no faster.
        let rows = n / 32
        var row = raw
        for _ in 0..<rows {
            a = diffuse(a ^ UInt64(littleEndian: row.loadUnaligned(as: UInt64.self)))
            b = diffuse(b ^ UInt64(littleEndian: row.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            c = diffuse(c ^ UInt64(littleEndian: row.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
            d = diffuse(d ^ UInt64(littleEndian: row.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
            row += 32
        }
        var offset = rows &* 32
        var lane = 0
        while offset < n {
            let take = min(8, n - offset)
            var piece: UInt64 = 0
            for i in 0..<take { piece |= UInt64(buffer[offset + i]) << (8 * UInt64(i)) }
            switch lane {
            case 0: a = diffuse(a ^ piece)
            case 1: b = diffuse(b ^ piece)
            case 2: c = diffuse(c ^ piece)
            default: d = diffuse(d ^ piece)
            }
            lane += 1
            offset += take
        }
        return diffuse(a ^ b ^ c ^ d ^ UInt64(n))
    }
}
