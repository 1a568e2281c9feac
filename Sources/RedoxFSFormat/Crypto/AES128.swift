/// The AES-128 block cipher (FIPS-197): the primitive under XTS (§5.1) and the key-slot wrapping
/// (§5.2, one block in ECB mode).
///
/// A table-driven implementation: one 256-word table per direction, rotated for the four rows.
public struct AES128: Sendable {
    /// The 44 encryption round-key words followed by the 44 decryption round-key words of the
    /// equivalent inverse cipher (InvMixColumns already applied to rounds 1...9).
    let roundKeys: [UInt32]

    /// Expands a 16-byte key.
    public init(key: [UInt8]) {
        precondition(key.count == 16, "AES-128 needs a 16-byte key")
        let sbox = AESTables.sbox
        let table = AESTables.decryptionTable
        var keys = [UInt32](repeating: 0, count: 88)
        for i in 0..<4 {
            keys[i] = UInt32(key[4 * i]) | UInt32(key[4 * i + 1]) &<< 8
                | UInt32(key[4 * i + 2]) &<< 16 | UInt32(key[4 * i + 3]) &<< 24
        }
        var roundConstant: UInt32 = 1
        for i in 4..<44 {
            var word = keys[i - 1]
            if i % 4 == 0 {
                // RotWord (a rotation right by one byte in little-endian order), SubWord, Rcon.
                word = Self.substitute(word &>> 8 | word &<< 24, sbox) ^ roundConstant
                roundConstant = UInt32(Self.double(UInt8(truncatingIfNeeded: roundConstant)))
            }
            keys[i] = keys[i - 4] ^ word
        }
        // Decryption keys: the encryption keys in reverse round order, the inner ones passed
        // through InvMixColumns, which is the decryption table applied to S-box outputs.
        for round in 0...10 {
            for column in 0..<4 {
                let word = keys[4 * (10 - round) + column]
                if round == 0 || round == 10 {
                    keys[44 + 4 * round + column] = word
                } else {
                    let b0 = Int(sbox[Int(word & 0xFF)]), b1 = Int(sbox[Int(word &>> 8 & 0xFF)])
                    let b2 = Int(sbox[Int(word &>> 16 & 0xFF)]), b3 = Int(sbox[Int(word &>> 24)])
                    keys[44 + 4 * round + column] = table[b0] ^ Self.rotate(table[b1], 8)
                        ^ Self.rotate(table[b2], 16) ^ Self.rotate(table[b3], 24)
                }
            }
        }
        roundKeys = keys
    }

    /// Encrypts the 16-byte block `block` in place.
    public func encryptBlock(_ block: inout [UInt8]) {
        precondition(block.count == 16, "an AES block is 16 bytes")
        block.withUnsafeMutableBytes { raw in
            withEncryptor { cipher in
                cipher.apply(to: raw.baseAddress.unsafelyUnwrapped, whitening: (0, 0, 0, 0))
            }
        }
    }

    /// Decrypts the 16-byte block `block` in place.
    public func decryptBlock(_ block: inout [UInt8]) {
        precondition(block.count == 16, "an AES block is 16 bytes")
        block.withUnsafeMutableBytes { raw in
            withDecryptor { cipher in
                cipher.apply(to: raw.baseAddress.unsafelyUnwrapped, whitening: (0, 0, 0, 0))
            }
        }
    }

    /// The encryption of the 16-byte block `block` (AES-128-ECB of one block).
    public func encrypt(_ block: [UInt8]) -> [UInt8] {
        var result = block
        encryptBlock(&result)
        return result
    }

    /// The decryption of the 16-byte block `block`.
    public func decrypt(_ block: [UInt8]) -> [UInt8] {
        var result = block
        decryptBlock(&result)
        return result
    }

    // MARK: - Internals shared with XTS

    /// Calls `body` with an encryptor whose pointers stay valid for the duration of the call.
    @inline(__always)
    func withEncryptor<Result>(_ body: (AESEncryptor) -> Result) -> Result {
        roundKeys.withUnsafeBufferPointer { keys in
            AESTables.encryptionTable.withUnsafeBufferPointer { table in
                AESTables.sbox.withUnsafeBufferPointer { sbox in
                    body(AESEncryptor(
                        keys: keys.baseAddress.unsafelyUnwrapped,
                        table: table.baseAddress.unsafelyUnwrapped,
                        sbox: sbox.baseAddress.unsafelyUnwrapped))
                }
            }
        }
    }

    /// Calls `body` with a decryptor whose pointers stay valid for the duration of the call.
    @inline(__always)
    func withDecryptor<Result>(_ body: (AESDecryptor) -> Result) -> Result {
        roundKeys.withUnsafeBufferPointer { keys in
            AESTables.decryptionTable.withUnsafeBufferPointer { table in
                AESTables.inverseSbox.withUnsafeBufferPointer { sbox in
                    body(AESDecryptor(
                        keys: keys.baseAddress.unsafelyUnwrapped + 44,
                        table: table.baseAddress.unsafelyUnwrapped,
                        sbox: sbox.baseAddress.unsafelyUnwrapped))
                }
            }
        }
    }

    @inline(__always)
    static func rotate(_ word: UInt32, _ bits: UInt32) -> UInt32 {
        word &<< bits | word &>> (32 &- bits)
    }

    /// SubWord: the S-box applied to each byte of `word`.
    @inline(__always)
    static func substitute(_ word: UInt32, _ sbox: [UInt8]) -> UInt32 {
        UInt32(sbox[Int(word & 0xFF)]) | UInt32(sbox[Int(word &>> 8 & 0xFF)]) &<< 8
            | UInt32(sbox[Int(word &>> 16 & 0xFF)]) &<< 16 | UInt32(sbox[Int(word &>> 24)]) &<< 24
    }

    /// Multiplication by x in GF(2^8).
    @inline(__always)
    static func double(_ value: UInt8) -> UInt8 {
        value &<< 1 ^ (value & 0x80 != 0 ? 0x1B : 0)
    }
}

/// Four little-endian column words: one AES state.
typealias AESState = (UInt32, UInt32, UInt32, UInt32)

/// A single-block transform working on raw memory; the XTS loop is generic over it.
protocol AESBlockTransform {
    /// The cipher applied to one state held in registers.
    func transform(_ state: AESState) -> AESState
}

extension AESBlockTransform {
    /// Transforms the 16 bytes at `block` in place: `block ^= whitening`, the cipher, then
    /// `block ^= whitening` again (whitening = the XTS tweak, or zero for plain ECB).
    @inline(__always)
    func apply(to block: UnsafeMutableRawPointer, whitening w: AESState) {
        let input = (
            UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) ^ w.0,
            UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) ^ w.1,
            UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) ^ w.2,
            UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) ^ w.3)
        let output = transform(input)
        block.storeBytes(of: (output.0 ^ w.0).littleEndian, toByteOffset: 0, as: UInt32.self)
        block.storeBytes(of: (output.1 ^ w.1).littleEndian, toByteOffset: 4, as: UInt32.self)
        block.storeBytes(of: (output.2 ^ w.2).littleEndian, toByteOffset: 8, as: UInt32.self)
        block.storeBytes(of: (output.3 ^ w.3).littleEndian, toByteOffset: 12, as: UInt32.self)
    }
}

/// Which column feeds each row of a round's output: the one thing the cipher's two directions
/// do differently (ShiftRows reads column c + r, InvShiftRows column c - r).
protocol AESRowShift {
    /// The four (row 0, row 1, row 2, row 3) column words feeding output columns 0 to 3.
    static func feed(_ s: AESState) -> (AESState, AESState, AESState, AESState)
}

/// Encryption's ShiftRows: column c row r reads column c + r.
enum AESForwardShift: AESRowShift {
    @inline(__always)
    static func feed(_ s: AESState) -> (AESState, AESState, AESState, AESState) {
        ((s.0, s.1, s.2, s.3), (s.1, s.2, s.3, s.0), (s.2, s.3, s.0, s.1), (s.3, s.0, s.1, s.2))
    }
}

/// Decryption's InvShiftRows: column c row r reads column c - r.
enum AESInverseShift: AESRowShift {
    @inline(__always)
    static func feed(_ s: AESState) -> (AESState, AESState, AESState, AESState) {
        ((s.0, s.3, s.2, s.1), (s.1, s.0, s.3, s.2), (s.2, s.1, s.0, s.3), (s.3, s.2, s.1, s.0))
    }
}

/// The ten rounds of AES-128 bound to round keys and tables (valid only inside `withEncryptor`
/// or `withDecryptor`): forward tables and shift encrypt, the equivalent inverse cipher's
/// tables and shift decrypt.
struct AESRounds<Shift: AESRowShift>: AESBlockTransform {
    let keys: UnsafePointer<UInt32>
    let table: UnsafePointer<UInt32>
    let sbox: UnsafePointer<UInt8>

    /// One full round: (Inv)SubBytes, (Inv)ShiftRows and (Inv)MixColumns through the table, then
    /// AddRoundKey.
    @inline(__always)
    private func round(_ s: AESState, _ k: Int) -> AESState {
        @inline(__always) func t(_ c: AESState) -> UInt32 {
            table[Int(c.0 & 0xFF)]
                ^ AES128.rotate(table[Int(c.1 &>> 8 & 0xFF)], 8)
                ^ AES128.rotate(table[Int(c.2 &>> 16 & 0xFF)], 16)
                ^ AES128.rotate(table[Int(c.3 &>> 24)], 24)
        }
        let f = Shift.feed(s)
        return (t(f.0) ^ keys[k], t(f.1) ^ keys[k + 1], t(f.2) ^ keys[k + 2], t(f.3) ^ keys[k + 3])
    }

    @inline(__always)
    func transform(_ input: AESState) -> AESState {
        var s = (input.0 ^ keys[0], input.1 ^ keys[1], input.2 ^ keys[2], input.3 ^ keys[3])
        var k = 4
        while k < 40 {
            s = round(s, k)
            k += 4
        }
        @inline(__always) func last(_ c: AESState) -> UInt32 {
            UInt32(sbox[Int(c.0 & 0xFF)]) | UInt32(sbox[Int(c.1 &>> 8 & 0xFF)]) &<< 8
                | UInt32(sbox[Int(c.2 &>> 16 & 0xFF)]) &<< 16 | UInt32(sbox[Int(c.3 &>> 24)]) &<< 24
        }
        let f = Shift.feed(s)
        return (last(f.0) ^ keys[40], last(f.1) ^ keys[41], last(f.2) ^ keys[42], last(f.3) ^ keys[43])
    }
}

/// AES-128 encryption.
typealias AESEncryptor = AESRounds<AESForwardShift>
/// AES-128 decryption (equivalent inverse cipher).
typealias AESDecryptor = AESRounds<AESInverseShift>
