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

/// SeaHash's four lanes after whole 32-byte rows: a hash of a buffer computed in pieces, so that
/// a caller can keep the state at points of a buffer and hash a changed copy from the first
/// change on (`SeaHash.advance`, `SeaHash.finish`).
public struct SeaHashLanes: Equatable, Sendable {
    public var a: UInt64
    public var b: UInt64
    public var c: UInt64
    public var d: UInt64

    /// The lanes before any row.
    public static let initial = SeaHashLanes(a: 0x16F1_1FE8_9B0D_677C, b: 0xB480_A793_D8E6_C86C, c: 0x6FE2_E5AA_F078_EBC9, d: 0x14F9_94A4_C525_9381)

    public init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
        self.a = a
        self.b = b
        self.c = c
        self.d = d
    }
}

extension SeaHash {
    /// Advances `lanes` over the whole 32-byte rows of `rows` (a trailing partial row is ignored).
    public static func advance(_ lanes: inout SeaHashLanes, over rows: UnsafeBufferPointer<UInt8>) {
        guard let base = rows.baseAddress else { return }
        // The lanes in locals (registers), as in `hash`.
        var (a, b, c, d) = (lanes.a, lanes.b, lanes.c, lanes.d)
        var row = UnsafeRawPointer(base)
        for _ in 0..<rows.count / 32 {
            a = diffuse(a ^ UInt64(littleEndian: row.loadUnaligned(as: UInt64.self)))
            b = diffuse(b ^ UInt64(littleEndian: row.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            c = diffuse(c ^ UInt64(littleEndian: row.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
            d = diffuse(d ^ UInt64(littleEndian: row.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
            row += 32
        }
        lanes = SeaHashLanes(a: a, b: b, c: c, d: d)
    }

    /// The hash of a buffer of `length` bytes, a multiple of 32, whose rows advanced the initial
    /// lanes to `lanes`: `hash` of that buffer.
    public static func finish(_ lanes: SeaHashLanes, length: Int) -> UInt64 {
        assert(length % 32 == 0, "SeaHash.finish: the rows' length must be a multiple of 32")
        return diffuse(lanes.a ^ lanes.b ^ lanes.c ^ lanes.d ^ UInt64(length))
    }
}
