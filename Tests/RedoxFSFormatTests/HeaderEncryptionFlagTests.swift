import RedoxFSFormat
import Testing

/// `Header.isEncrypted` (compared in place) says what comparing `encryptedHash` with
/// `hashPlaintext` says, for a difference in either half of the 16 bytes.
@Suite struct HeaderEncryptionFlagTests {
    static func header(_ transform: (([UInt8]) -> [UInt8])?) -> Header {
        var header = Header(uuid: Array(1...16), size: 1 << 30)
        header.generation = 7
        header.seal(encryptedHash: transform.map { transform in { plaintext, _ in transform(plaintext) } })
        return header
    }

    @Test func plainHeaderIsNotEncrypted() {
        let header = Self.header(nil)
        #expect(header.encryptedHash == header.hashPlaintext)
        #expect(!header.isEncrypted)
    }

    @Test func anyDifferenceMeansEncrypted() {
        for byte in [0, 7, 8, 15] {
            let header = Self.header { plaintext in
                var changed = plaintext
                changed[byte] ^= 0x5A
                return changed
            }
            #expect(header.encryptedHash != header.hashPlaintext)
            #expect(header.isEncrypted, "byte \(byte) differs")
        }
    }
}
