import CXTS
@testable import RedoxFS
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// `CXTS`'s vector XTS-AES-128 decryption (VAES, AVX-512), which `OpenSSLXTS` uses for its
/// in-place decryption where the processor has it: the same bytes as libcrypto's and the core's
/// XTS for any data unit number, unit size (multiples of 16, a short last unit) and length
/// (whole 16-block rounds, 4-block and single-block rests), and equal keys.
@Suite(.enabled(if: redoxfs_xts_vector_available() != 0, "the processor lacks VAES or AVX-512"))
struct VectorXTSTests {
    static let lengths = [16, 48, 64, 80, 240, 256, 272, 400, 4096, 3 * 4096 + 16 * 21, 128 << 10]
    static let unitSizes = [16, 32, 496, 512, 4096]
    static let firstUnits: [UInt64] = [0, 1, 0xFFFF_FFFF, 1 << 63 | 5, 0xFFFF_FFFF_FFFF_FFFF - 40]

    /// `ciphertext` decrypted by the vector code.
    static func vectorDecrypt(_ ciphertext: [UInt8], dataKey: [UInt8], tweakKey: [UInt8], firstUnit: UInt64, unitSize: Int) -> [UInt8] {
        let schedule = UnsafeMutableRawPointer.allocate(byteCount: Int(REDOXFS_XTS_SCHEDULE_BYTES), alignment: 64)
        defer { schedule.deallocate() }
        redoxfs_xts_expand(dataKey, tweakKey, schedule)
        var bytes = ciphertext
        bytes.withUnsafeMutableBufferPointer { buffer in
            redoxfs_xts_decrypt(schedule, buffer.baseAddress, buffer.count, firstUnit, unitSize)
        }
        return bytes
    }

    @Test(arguments: [1, 2, 3])
    func matchesLibcrypto(seed: UInt64) {
        var generator = SplitMix64(state: 0x7E5 &+ seed)
        let dataKey = generator.bytes(16), tweakKey = generator.bytes(16)
        let libcrypto = OpenSSLXTS(dataKey: dataKey, tweakKey: tweakKey, vectorDecryption: false)
        #expect(libcrypto.usesOpenSSL && !libcrypto.usesVectorDecryption)
        let cipher = OpenSSLXTS(dataKey: dataKey, tweakKey: tweakKey)
        #expect(cipher.usesVectorDecryption)
        for length in Self.lengths {
            for unitSize in Self.unitSizes {
                for firstUnit in Self.firstUnits {
                    let plaintext = generator.bytes(length)
                    var ciphertext = plaintext
                    ciphertext.withUnsafeMutableBufferPointer { libcrypto.encrypt($0, firstUnit: firstUnit, unitSize: unitSize) }
                    #expect(ciphertext != plaintext)
                    let decrypted = Self.vectorDecrypt(ciphertext, dataKey: dataKey, tweakKey: tweakKey, firstUnit: firstUnit, unitSize: unitSize)
                    #expect(decrypted == plaintext, "length \(length), unit size \(unitSize), first unit \(firstUnit)")
                    var throughCipher = ciphertext
                    throughCipher.withUnsafeMutableBufferPointer { cipher.decrypt($0, firstUnit: firstUnit, unitSize: unitSize) }
                    #expect(throughCipher == plaintext)
                }
            }
        }
    }

    /// Equal keys (which libcrypto refuses) and the core's XTS: the same bytes.
    @Test func matchesTheCoreWithEqualKeys() {
        var generator = SplitMix64(state: 0xE0)
        let key = generator.bytes(16)
        let core = XTSAES128(dataKey: key, tweakKey: key)
        for length in [64, 272, 4096 + 48] {
            for firstUnit in Self.firstUnits {
                let plaintext = generator.bytes(length)
                var ciphertext = plaintext
                ciphertext.withUnsafeMutableBufferPointer { core.encrypt($0, firstUnit: firstUnit, unitSize: 4096) }
                #expect(Self.vectorDecrypt(ciphertext, dataKey: key, tweakKey: key, firstUnit: firstUnit, unitSize: 4096) == plaintext)
            }
        }
    }
}
