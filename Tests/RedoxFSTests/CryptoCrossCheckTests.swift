import RedoxFSTestSupport
import Testing
import RedoxFS
import RedoxFSFormat
import CSodium

/// The pure-Swift core crypto against the hosted fast paths (OpenSSL, libsodium).
@Suite struct CryptoCrossCheckTests {
    static let units: [UInt64] = [0, 1, 5, 255, 256, 0xFFFF_FFFF, 0x1_0000_0007, 0x8000_0000_0000_0005, UInt64.max - 4]
    /// (buffer length, unit size): whole units, several units, a short last unit, tiny units.
    static let shapes: [(Int, Int)] = [(16, 16), (32, 32), (512, 512), (4096, 4096), (3 * 4096, 4096),
                                       (2 * 4096 + 48, 4096), (4096, 512), (96, 16)]

    @Test(arguments: units)
    func xtsMatchesOpenSSL(firstUnit: UInt64) {
        var generator = SplitMix64(state: firstUnit ^ 0x5EED)
        for (length, unitSize) in Self.shapes {
            let k1 = generator.bytes(16), k2 = generator.bytes(16)
            let core = XTSAES128(dataKey: k1, tweakKey: k2)
            let openSSL = OpenSSLXTS(dataKey: k1, tweakKey: k2)
            #expect(openSSL.usesOpenSSL)
            let plaintext = generator.bytes(length)

            var coreCiphertext = plaintext
            core.encrypt(&coreCiphertext, firstUnit: firstUnit, unitSize: unitSize)
            var openSSLCiphertext = plaintext
            openSSL.encrypt(&openSSLCiphertext, firstUnit: firstUnit, unitSize: unitSize)
            #expect(coreCiphertext == openSSLCiphertext, "length \(length), unit size \(unitSize)")
            #expect(coreCiphertext != plaintext)

            var viaOpenSSL = coreCiphertext
            openSSL.decrypt(&viaOpenSSL, firstUnit: firstUnit, unitSize: unitSize)
            #expect(viaOpenSSL == plaintext)
            var viaCore = openSSLCiphertext
            core.decrypt(&viaCore, firstUnit: firstUnit, unitSize: unitSize)
            #expect(viaCore == plaintext)
        }
    }

    @Test func equalKeysFallBackToCore() {
        let zero = [UInt8](repeating: 0, count: 16)
        let cipher = OpenSSLXTS(dataKey: zero, tweakKey: zero)
        #expect(!cipher.usesOpenSSL)
        // IEEE 1619 vector 1 (k1 = k2 = 0).
        var bytes = [UInt8](repeating: 0, count: 32)
        cipher.encrypt(&bytes, firstUnit: 0, unitSize: 32)
        #expect(bytes == [
            0x91, 0x7C, 0xF6, 0x9E, 0xBD, 0x68, 0xB2, 0xEC, 0x9B, 0x9F, 0xE9, 0xA3, 0xEA, 0xDD, 0xA6, 0x92,
            0xCD, 0x43, 0xD2, 0xF5, 0x95, 0x98, 0xED, 0x85, 0x8C, 0x02, 0xC2, 0x65, 0x2F, 0xBF, 0x92, 0x2E,
        ])
        cipher.decrypt(&bytes, firstUnit: 0, unitSize: 32)
        #expect(bytes == zero + zero)

        var generator = SplitMix64(state: 42)
        let key = generator.bytes(16)
        let same = OpenSSLXTS(dataKey: key, tweakKey: key)
        let plaintext = generator.bytes(3 * 4096)
        var expected = plaintext
        XTSAES128(dataKey: key, tweakKey: key).encrypt(&expected, firstUnit: 77, unitSize: 4096)
        var actual = plaintext
        same.encrypt(&actual, firstUnit: 77, unitSize: 4096)
        #expect(actual == expected)
        same.decrypt(&actual, firstUnit: 77, unitSize: 4096)
        #expect(actual == plaintext)
    }

    /// One cipher shared by concurrent tasks gives the same bytes as sequential use.
    @Test func openSSLFromManyTasks() async {
        var generator = SplitMix64(state: 7)
        let cipher = OpenSSLXTS(dataKey: generator.bytes(16), tweakKey: generator.bytes(16))
        let plaintext = generator.bytes(8 * 4096)
        var expected = plaintext
        cipher.encrypt(&expected, firstUnit: 1000, unitSize: 4096)
        let reference = expected
        let allMatch = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var ok = true
                    for _ in 0..<50 {
                        var bytes = plaintext
                        cipher.encrypt(&bytes, firstUnit: 1000, unitSize: 4096)
                        ok = ok && bytes == reference
                        cipher.decrypt(&bytes, firstUnit: 1000, unitSize: 4096)
                        ok = ok && bytes == plaintext
                    }
                    return ok
                }
            }
            var all = true
            for await ok in group { all = all && ok }
            return all
        }
        #expect(allMatch)
    }

    @Test func argon2idMatchesSodium() {
        var generator = SplitMix64(state: 9106)
        var cases: [(password: [UInt8], salt: [UInt8])] = [([], generator.bytes(16))]
        for length in [1, 13, 64] {
            cases.append((generator.bytes(length), generator.bytes(16)))
        }
        for (password, salt) in cases {
            #expect(Argon2id.deriveKey(password: password, salt: salt) == Sodium.argon2id(password: password, salt: salt))
        }
    }

    /// Other memory sizes (including ones not a multiple of 4), pass counts and tag lengths, through
    /// libsodium's general Argon2id entry point.
    @Test(arguments: [(8, 1, 16), (9, 2, 32), (103, 4, 64), (256, 1, 65), (1000, 2, 100), (2050, 3, 24)])
    func argon2idParametersMatchSodium(memoryKiB: Int, iterations: Int, tagLength: Int) {
        var generator = SplitMix64(state: UInt64(memoryKiB * 1000 + iterations))
        let password = generator.bytes(20), salt = generator.bytes(16)
        var expected = [UInt8](repeating: 0, count: tagLength)
        let status = expected.withUnsafeMutableBufferPointer { out in
            password.withUnsafeBufferPointer { passwordBuffer in
                passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars in
                    salt.withUnsafeBufferPointer { saltBuffer in
                        crypto_pwhash_argon2id(
                            out.baseAddress!, UInt64(tagLength), passwordChars.baseAddress!, UInt64(password.count),
                            saltBuffer.baseAddress!, UInt64(iterations), memoryKiB * 1024,
                            crypto_pwhash_argon2id_alg_argon2id13())
                    }
                }
            }
        }
        #expect(status == 0)
        let actual = Argon2id.deriveKey(
            password: password, salt: salt, memoryKiB: memoryKiB, iterations: iterations, tagLength: tagLength)
        #expect(actual == expected)
    }

    @Test func sodiumSpecVector() {
        let key = Sodium.argon2id(password: Array("password".utf8), salt: (1...16).map { UInt8($0) })
        #expect(key == [0xD4, 0xD0, 0x5D, 0x96, 0xA9, 0x5E, 0xEF, 0x73, 0xCD, 0x00, 0xA7, 0x5F, 0x7F, 0x59, 0x29, 0x2E])
    }

    @Test func sodiumRandomBytes() {
        #expect(Sodium.randomBytes(0).isEmpty)
        let a = Sodium.randomBytes(32), b = Sodium.randomBytes(32)
        #expect(a.count == 32 && b.count == 32 && a != b)
    }
}
