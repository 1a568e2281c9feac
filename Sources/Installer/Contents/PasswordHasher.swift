import CSodium

/// Argon2id password hashes in the standard encoded form
/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded base64), as upstream's installer
/// writes them with rust-argon2's defaults. The salt is the upper-case hexadecimal text of a
/// 64-bit number (as upstream), always 16 characters here because libsodium wants 16 bytes.
public enum PasswordHasher {
    public static let memoryKiB = 19456
    public static let iterations = 2
    public static let hashLength = 32

    /// The encoded hash of `password` with salt text from `saltNumber`; "" for an empty password.
    public static func hash(_ password: String, saltNumber: UInt64) throws(InstallerError) -> String {
        if password.isEmpty { return "" }
        _ = sodium_init()
        let salt = Array(String(saltNumber | (1 << 63), radix: 16, uppercase: true).utf8)
        precondition(salt.count == Int(crypto_pwhash_SALTBYTES))
        var output = [UInt8](repeating: 0, count: hashLength)
        let status = crypto_pwhash(
            &output, UInt64(hashLength), password, UInt64(password.utf8.count),
            salt, UInt64(iterations), memoryKiB * 1024, crypto_pwhash_ALG_ARGON2ID13)
        guard status == 0 else { throw .other("password hashing failed (out of memory?)") }
        return "$argon2id$v=19$m=\(memoryKiB),t=\(iterations),p=1$\(base64(salt))$\(base64(output))"
    }

    /// Whether `password` matches `encoded` (libsodium's verifier).
    public static func verify(_ password: String, encoded: String) -> Bool {
        _ = sodium_init()
        return crypto_pwhash_str_verify(encoded, password, UInt64(password.utf8.count)) == 0
    }

    /// Unpadded standard base64.
    static func base64(_ bytes: [UInt8]) -> String {
        let length = sodium_base64_encoded_len(bytes.count, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
        var text = [CChar](repeating: 0, count: length)
        sodium_bin2base64(&text, length, bytes, bytes.count, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
