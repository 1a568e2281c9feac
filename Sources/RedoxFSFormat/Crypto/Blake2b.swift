/// The BLAKE2b hash function (RFC 7693) with a variable output length of 1...64 bytes and an
/// optional key of up to 64 bytes; Argon2 (RFC 9106) is built on it.
public struct Blake2b: Sendable {
    /// The chaining value h[0...7].
    private var state: [UInt64]
    /// Input not yet compressed; the last block is kept until `finalize` because it must be
    /// compressed with the final flag.
    private var pending: [UInt8]
    private var pendingCount = 0
    /// The 128-bit count of bytes hashed so far, low and high words.
    private var countLow: UInt64 = 0
    private var countHigh: UInt64 = 0
    /// The digest length in bytes.
    public let outputLength: Int

    private static let initialState: [UInt64] = [
        0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B, 0x3C6E_F372_FE94_F82B, 0xA54F_F53A_5F1D_36F1,
        0x510E_527F_ADE6_82D1, 0x9B05_688C_2B3E_6C1F, 0x1F83_D9AB_FB41_BD6B, 0x5BE0_CD19_137E_2179,
    ]

    /// The message schedule σ of rounds 0...9 (rounds 10 and 11 repeat rounds 0 and 1).
    private static let schedule: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ]

    /// Starts a hash with an `outputLength`-byte digest (1...64), keyed when `key` is non-empty.
    public init(outputLength: Int = 64, key: [UInt8] = []) {
        precondition(outputLength >= 1 && outputLength <= 64, "BLAKE2b digests are 1...64 bytes")
        precondition(key.count <= 64, "BLAKE2b keys are at most 64 bytes")
        self.outputLength = outputLength
        var state = Self.initialState
        state[0] ^= 0x0101_0000 ^ UInt64(key.count) &<< 8 ^ UInt64(outputLength)
        self.state = state
        pending = [UInt8](repeating: 0, count: 128)
        if !key.isEmpty {
            // The key, zero-padded to a full block, is the first block of input.
            for i in 0..<key.count { pending[i] = key[i] }
            pendingCount = 128
        }
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8], outputLength: Int = 64, key: [UInt8] = []) -> [UInt8] {
        var hasher = Blake2b(outputLength: outputLength, key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Adds `bytes` to the input.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { update($0) }
    }

    /// Adds the bytes of `buffer` to the input.
    public mutating func update(_ buffer: UnsafeBufferPointer<UInt8>) {
        var index = 0
        while index < buffer.count {
            if pendingCount == 128 {
                compressPending(isFinal: false)
            }
            let take = min(128 - pendingCount, buffer.count - index)
            for i in 0..<take { pending[pendingCount + i] = buffer[index + i] }
            pendingCount += take
            index += take
        }
    }

    /// Adds the four little-endian bytes of `value` to the input.
    mutating func update(littleEndian value: UInt32) {
        let bytes: [UInt8] = [
            UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value &>> 8),
            UInt8(truncatingIfNeeded: value &>> 16), UInt8(truncatingIfNeeded: value &>> 24),
        ]
        update(bytes)
    }

    /// Finishes the hash and returns the `outputLength`-byte digest.
    public mutating func finalize() -> [UInt8] {
        for i in pendingCount..<128 { pending[i] = 0 }
        compressPending(isFinal: true)
        var digest = [UInt8](repeating: 0, count: outputLength)
        for i in 0..<outputLength {
            digest[i] = UInt8(truncatingIfNeeded: state[i / 8] &>> (8 * UInt64(i % 8)))
        }
        return digest
    }

    private mutating func compressPending(isFinal: Bool) {
        countLow &+= UInt64(pendingCount)
        if countLow < UInt64(pendingCount) { countHigh &+= 1 }
        let low = countLow, high = countHigh
        pending.withUnsafeBytes { block in
            state.withUnsafeMutableBufferPointer { h in
                Self.compress(h, block: block, countLow: low, countHigh: high, isFinal: isFinal)
            }
        }
        pendingCount = 0
    }

    @inline(__always)
    private static func mix(
        _ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64, _ x: UInt64, _ y: UInt64
    ) {
        a = a &+ b &+ x
        d = rotateRight(d ^ a, 32)
        c = c &+ d
        b = rotateRight(b ^ c, 24)
        a = a &+ b &+ y
        d = rotateRight(d ^ a, 16)
        c = c &+ d
        b = rotateRight(b ^ c, 63)
    }

    /// The compression function F of RFC 7693 §3.2.
    private static func compress(
        _ h: UnsafeMutableBufferPointer<UInt64>, block: UnsafeRawBufferPointer,
        countLow: UInt64, countHigh: UInt64, isFinal: Bool
    ) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { m in
            for i in 0..<16 {
                m[i] = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            }
            var v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]
            var v8 = initialState[0], v9 = initialState[1], v10 = initialState[2], v11 = initialState[3]
            var v12 = initialState[4] ^ countLow, v13 = initialState[5] ^ countHigh
            var v14 = isFinal ? ~initialState[6] : initialState[6], v15 = initialState[7]
            schedule.withUnsafeBufferPointer { sigma in
                for round in 0..<12 {
                    let s = sigma.baseAddress.unsafelyUnwrapped + 16 * (round % 10)
                    @inline(__always) func w(_ i: Int) -> UInt64 { m[Int(s[i])] }
                    mix(&v0, &v4, &v8, &v12, w(0), w(1))
                    mix(&v1, &v5, &v9, &v13, w(2), w(3))
                    mix(&v2, &v6, &v10, &v14, w(4), w(5))
                    mix(&v3, &v7, &v11, &v15, w(6), w(7))
                    mix(&v0, &v5, &v10, &v15, w(8), w(9))
                    mix(&v1, &v6, &v11, &v12, w(10), w(11))
                    mix(&v2, &v7, &v8, &v13, w(12), w(13))
                    mix(&v3, &v4, &v9, &v14, w(14), w(15))
                }
            }
            h[0] ^= v0 ^ v8
            h[1] ^= v1 ^ v9
            h[2] ^= v2 ^ v10
            h[3] ^= v3 ^ v11
            h[4] ^= v4 ^ v12
            h[5] ^= v5 ^ v13
            h[6] ^= v6 ^ v14
            h[7] ^= v7 ^ v15
        }
    }
}

extension Blake2b {
    /// `value` rotated right by `count` bits (0 < count < 64).
    @inline(__always)
    static func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 {
        value &>> count | value &<< (64 &- count)
    }
}
