/// A length-preserving cipher over numbered data units (XTS, IEEE 1619), as used for every
/// encrypted block (§5.1) and for the header's `encrypted_hash` (§3.3).
///
/// Buffers are processed in place as consecutive data units of `unitSize` bytes; the last unit
/// may be shorter. All lengths must be multiples of 16 bytes (no ciphertext stealing).
public protocol XTSCipher {
    /// Encrypts `buffer` in place as consecutive data units of `unitSize` bytes, numbered from `firstUnit`.
    func encrypt(_ buffer: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int)
    /// Decrypts likewise.
    func decrypt(_ buffer: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int)
    /// Encrypts `source` into `destination` (of the same length, not overlapping it) as
    /// `encrypt(_:firstUnit:unitSize:)` would in place: a commit encrypts a cached block straight
    /// into the buffer it writes, with no copy of its own. The default copies, then encrypts.
    func encrypt(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int)
}

extension XTSCipher {
    public func encrypt(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int
    ) {
        precondition(source.count == destination.count, "XTS copies keep their length")
        guard let from = source.baseAddress, let to = destination.baseAddress else { return }
        UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: source.count)
        encrypt(destination, firstUnit: firstUnit, unitSize: unitSize)
    }

    /// Encrypts `bytes` in place as consecutive data units of `unitSize` bytes, numbered from
    /// `firstUnit`.
    public func encrypt(_ bytes: inout [UInt8], firstUnit: UInt64, unitSize: Int) {
        bytes.withUnsafeMutableBufferPointer { encrypt($0, firstUnit: firstUnit, unitSize: unitSize) }
    }

    /// Decrypts `bytes` in place as consecutive data units of `unitSize` bytes, numbered from
    /// `firstUnit`.
    public func decrypt(_ bytes: inout [UInt8], firstUnit: UInt64, unitSize: Int) {
        bytes.withUnsafeMutableBufferPointer { decrypt($0, firstUnit: firstUnit, unitSize: unitSize) }
    }
}

/// XTS-AES-128 (IEEE 1619) in pure Swift: the key `dataKey` (k1) encrypts the data, `tweakKey`
/// (k2) encrypts the tweak, which is the data-unit number as a 128-bit little-endian integer.
public struct XTSAES128: XTSCipher, Sendable {
    private let dataCipher: AES128
    private let tweakCipher: AES128

    /// Creates the cipher from two 16-byte keys.
    public init(dataKey: [UInt8], tweakKey: [UInt8]) {
        dataCipher = AES128(key: dataKey)
        tweakCipher = AES128(key: tweakKey)
    }

    public func encrypt(_ buffer: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int) {
        dataCipher.withEncryptor { data in
            tweakCipher.withEncryptor { tweak in
                Self.process(buffer, firstUnit: firstUnit, unitSize: unitSize, cipher: data, tweak: tweak)
            }
        }
    }

    public func decrypt(_ buffer: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int) {
        dataCipher.withDecryptor { data in
            tweakCipher.withEncryptor { tweak in
                Self.process(buffer, firstUnit: firstUnit, unitSize: unitSize, cipher: data, tweak: tweak)
            }
        }
    }

    /// The XTS loop shared by both directions: per unit T = AES_k2(unit), then for each 16-byte
    /// block C = AES_k1(P ^ T) ^ T and T = T·α in GF(2^128).
    @inline(__always)
    private static func process<Cipher: AESBlockTransform>(
        _ buffer: UnsafeMutableBufferPointer<UInt8>, firstUnit: UInt64, unitSize: Int,
        cipher: Cipher, tweak: AESEncryptor
    ) {
        precondition(unitSize > 0 && unitSize % 16 == 0, "XTS data units are multiples of 16 bytes")
        precondition(buffer.count % 16 == 0, "XTS buffers are multiples of 16 bytes")
        guard let base = buffer.baseAddress else { return }
        let raw = UnsafeMutableRawPointer(base)
        let count = buffer.count
        var offset = 0
        var unit = firstUnit
        while offset < count {
            let end = offset + min(unitSize, count - offset)
            let t = tweak.transform((UInt32(truncatingIfNeeded: unit), UInt32(truncatingIfNeeded: unit &>> 32), 0, 0))
            // The tweak as a 128-bit little-endian integer.
            var low = UInt64(t.0) | UInt64(t.1) &<< 32
            var high = UInt64(t.2) | UInt64(t.3) &<< 32
            while offset < end {
                cipher.apply(
                    to: raw + offset,
                    whitening: (UInt32(truncatingIfNeeded: low), UInt32(truncatingIfNeeded: low &>> 32),
                                UInt32(truncatingIfNeeded: high), UInt32(truncatingIfNeeded: high &>> 32)))
                let carry = high &>> 63
                high = high &<< 1 | low &>> 63
                low = low &<< 1 ^ (0x87 & (0 &- carry))
                offset += 16
            }
            unit &+= 1
        }
    }
}
