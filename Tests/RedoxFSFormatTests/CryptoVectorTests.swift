import Testing
@testable import RedoxFSFormat

/// Bytes from a hex string; spaces are ignored.
private func hex(_ string: String) -> [UInt8] {
    let digits = string.utf8.filter { $0 != UInt8(ascii: " ") }.map { byte -> UInt8 in
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: byte - UInt8(ascii: "A") + 10
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// `count` bytes first, first + 1, … (wrapping).
private func sequence(from first: UInt8, count: Int) -> [UInt8] {
    (0..<count).map { first &+ UInt8(truncatingIfNeeded: $0) }
}

/// Published vectors (FIPS-197, IEEE 1619, RFC 7693, RFC 9106) and the spec's §16.4 vectors.
@Suite struct CryptoVectorTests {
    // MARK: AES-128

    @Test func aesFIPS197AppendixC1() {
        let aes = AES128(key: sequence(from: 0, count: 16))
        let plaintext = hex("00112233445566778899aabbccddeeff")
        let ciphertext = hex("69c4e0d86a7b0430d8cdb78070b4c55a")
        #expect(aes.encrypt(plaintext) == ciphertext)
        #expect(aes.decrypt(ciphertext) == plaintext)
        var block = plaintext
        aes.encryptBlock(&block)
        #expect(block == ciphertext)
        aes.decryptBlock(&block)
        #expect(block == plaintext)
    }

    @Test func aesFIPS197AppendixB() {
        let aes = AES128(key: hex("2b7e151628aed2a6abf7158809cf4f3c"))
        #expect(aes.encrypt(hex("3243f6a8885a308d313198a2e0370734")) == hex("3925841d02dc09fbdc118597196a0b32"))
    }

    // MARK: XTS-AES-128 (IEEE 1619-2007 annex B)

    @Test func xtsIEEEVector1() {
        checkXTS(k1: [UInt8](repeating: 0, count: 16), k2: [UInt8](repeating: 0, count: 16), unit: 0,
                 plaintext: [UInt8](repeating: 0, count: 32),
                 ciphertext: hex("917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e"))
    }

    @Test func xtsIEEEVector2() {
        checkXTS(k1: [UInt8](repeating: 0x11, count: 16), k2: [UInt8](repeating: 0x22, count: 16),
                 unit: 0x33_3333_3333, plaintext: [UInt8](repeating: 0x44, count: 32),
                 ciphertext: hex("c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0"))
    }

    @Test func xtsIEEEVector3() {
        checkXTS(k1: hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0"), k2: [UInt8](repeating: 0x22, count: 16),
                 unit: 0x33_3333_3333, plaintext: [UInt8](repeating: 0x44, count: 32),
                 ciphertext: hex("af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89"))
    }

    @Test func xtsIEEEVector4() {
        checkXTS(k1: hex("27182818284590452353602874713526"), k2: hex("31415926535897932384626433832795"),
                 unit: 0, plaintext: sequence(from: 0, count: 512), ciphertext: Self.vector4Ciphertext)
    }

    /// Vector 4's ciphertext (512 bytes).
    static let vector4Ciphertext = hex("""
        27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c\
        c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412\
        328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce\
        93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265\
        5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8\
        a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434\
        1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c\
        5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e\
        94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc\
        1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3\
        e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344\
        b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd\
        74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752\
        afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e\
        bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d\
        eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568
        """)

    /// Several units in one call equal the units one by one, and a short last unit is allowed.
    @Test func xtsMultipleUnitsInOneCall() {
        let cipher = XTSAES128(dataKey: sequence(from: 0x11, count: 16), tweakKey: sequence(from: 0x21, count: 16))
        let plaintext = sequence(from: 7, count: 512 * 3 + 48)
        var whole = plaintext
        cipher.encrypt(&whole, firstUnit: 41, unitSize: 512)
        var pieces: [UInt8] = []
        for (index, start) in stride(from: 0, to: plaintext.count, by: 512).enumerated() {
            var piece = Array(plaintext[start..<min(start + 512, plaintext.count)])
            cipher.encrypt(&piece, firstUnit: 41 + UInt64(index), unitSize: 512)
            pieces += piece
        }
        #expect(whole == pieces)
        cipher.decrypt(&whole, firstUnit: 41, unitSize: 512)
        #expect(whole == plaintext)
    }

    private func checkXTS(k1: [UInt8], k2: [UInt8], unit: UInt64, plaintext: [UInt8], ciphertext: [UInt8]) {
        let cipher = XTSAES128(dataKey: k1, tweakKey: k2)
        var bytes = plaintext
        cipher.encrypt(&bytes, firstUnit: unit, unitSize: plaintext.count)
        #expect(bytes == ciphertext)
        cipher.decrypt(&bytes, firstUnit: unit, unitSize: plaintext.count)
        #expect(bytes == plaintext)
    }

    // MARK: Spec §16.4

    static let k1 = sequence(from: 0x11, count: 16)
    static let k2 = sequence(from: 0x21, count: 16)

    @Test func specXTSUnits0And5() {
        let cipher = XTSAES128(dataKey: Self.k1, tweakKey: Self.k2)
        var unit0 = [UInt8](repeating: 0, count: 4096)
        cipher.encrypt(&unit0, firstUnit: 0, unitSize: 4096)
        #expect(Array(unit0[0..<32]) == hex("b440543e1f19e68d4abee70f10b8088a3fc035accd4e06c366f5442decbce501"))
        #expect(Array(unit0[4080..<4096]) == hex("0864ace7c1b9bdc32eaea296354d8672"))
        var unit5 = [UInt8](repeating: 0, count: 4096)
        cipher.encrypt(&unit5, firstUnit: 5, unitSize: 4096)
        #expect(Array(unit5[0..<32]) == hex("d41ec3e39e1a8344f3c21cbc38822a3b15eeb90670919d5f171bd8c553312636"))
        cipher.decrypt(&unit5, firstUnit: 5, unitSize: 4096)
        #expect(unit5 == [UInt8](repeating: 0, count: 4096))
    }

    @Test func specEncryptedHash() {
        let tweak = AES128(key: Self.k2).encrypt([3] + [UInt8](repeating: 0, count: 15))
        #expect(tweak == hex("30615dfd23b3c181cf1edd8e35d7c10d"))
        let plaintext = hex("49b8cc13c0b8a707") + [UInt8](repeating: 0, count: 8)
        let expected = hex("fbb09c67ed89838918635f4350e8a64d")
        let cipher = XTSAES128(dataKey: Self.k1, tweakKey: Self.k2)
        var block = plaintext
        cipher.encrypt(&block, firstUnit: 3, unitSize: 16)
        #expect(block == expected)
        cipher.decrypt(&block, firstUnit: 3, unitSize: 16)
        #expect(block == plaintext)
    }

    @Test func specKeyWrapping() {
        let salt = sequence(from: 1, count: 16)
        let passwordKey = Argon2id.deriveKey(password: Array("password".utf8), salt: salt)
        #expect(passwordKey == hex("d4d05d96a95eef73cd00a75f7f59292e"))
        let slot = KeySlot.wrap(dataKey: Self.k1, tweakKey: Self.k2, salt: salt, passwordKey: passwordKey)
        #expect(slot.salt == salt)
        #expect(slot.wrappedDataKey == hex("bba793a38a66ac00cbfc7f1ce58bd864"))
        #expect(slot.wrappedTweakKey == hex("5d320171e163e6795bd267ad5262048a"))
        let keys = slot.unwrap(passwordKey: passwordKey)
        #expect(keys.dataKey == Self.k1 && keys.tweakKey == Self.k2)
    }

    @Test func keySlotCoding() {
        #expect(KeySlot().isEmpty)
        #expect(KeySlot(bytes: [UInt8](repeating: 0, count: 100), at: 52) == KeySlot())
        let slot = KeySlot(salt: sequence(from: 1, count: 16), wrappedDataKey: sequence(from: 0x11, count: 16),
                           wrappedTweakKey: sequence(from: 0x21, count: 16))
        #expect(!slot.isEmpty)
        var header = [UInt8](repeating: 0xEE, count: 200)
        slot.encode(into: &header, at: 80)
        #expect(Array(header[80..<128]) == sequence(from: 1, count: 16) + sequence(from: 0x11, count: 32))
        #expect(header[79] == 0xEE && header[128] == 0xEE)
        #expect(KeySlot(bytes: header, at: 80) == slot)
        var onlyLastByte = KeySlot()
        onlyLastByte.wrappedTweakKey[15] = 1
        #expect(!onlyLastByte.isEmpty)
    }

    // MARK: BLAKE2b and Argon2id

    @Test func blake2bRFC7693() {
        #expect(Blake2b.hash(Array("abc".utf8)) == hex("""
            ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
            7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923
            """))
    }

    @Test func blake2bEmptyAndMultiBlock() {
        #expect(Blake2b.hash([]) == hex("""
            786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419\
            d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce
            """))
        // Two blocks, plain and keyed with a short digest (values from Python's hashlib).
        let message = (0..<200).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        #expect(Blake2b.hash(message) == hex("""
            e4562cf860e0c77ecfddbe718c90f62324debdd131db0bfd549ecb9cd17e3a4d\
            d9c2f079cb3ab7dc5f1738db603447fa8a220975c84c0e20bd8c226728556393
            """))
        #expect(Blake2b.hash(message, outputLength: 33, key: [1, 2, 3])
            == hex("ff07ea4f092e7b61bc876f5016f2745b11957250cdfe0dcb0abdb6baaecdd7c6d6"))
        // Feeding in pieces equals one call, across block boundaries and with exactly 128 bytes.
        for length in [127, 128, 129, 256, 300] {
            let message = sequence(from: 3, count: length)
            var hasher = Blake2b(outputLength: 40)
            hasher.update(Array(message[0..<length / 3]))
            hasher.update(Array(message[length / 3..<length]))
            #expect(hasher.finalize() == Blake2b.hash(message, outputLength: 40))
        }
    }

    @Test func argon2idRFC9106() {
        let tag = Argon2id.deriveKey(
            password: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
            memoryKiB: 32, iterations: 3, parallelism: 4, tagLength: 32,
            secret: [UInt8](repeating: 3, count: 8), associatedData: [UInt8](repeating: 4, count: 12))
        #expect(tag == hex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"))
    }

    @Test func argon2idSpecVector() {
        let key = Argon2id.deriveKey(password: Array("password".utf8), salt: sequence(from: 1, count: 16))
        #expect(key == hex("d4d05d96a95eef73cd00a75f7f59292e"))
    }
}
