import CSodium

/// libsodium entry points of the engine: the format's Argon2id and the system random source.
public enum Sodium {
    /// `sodium_init` runs once, on first use (lazy static initialisation is thread-safe).
    private static let isInitialized: Bool = sodium_init() >= 0

    /// Argon2id v0x13 with the RedoxFS parameters (§5.2): 4096 KiB, 3 passes, 1 lane, 16-byte
    /// tag, no secret or associated data. `salt` must be 16 bytes.
    ///
    /// Stops the program if libsodium cannot run (it fails only when out of memory).
    public static func argon2id(password: [UInt8], salt: [UInt8]) -> [UInt8] {
        precondition(isInitialized, "libsodium failed to initialise")
        precondition(salt.count == Int(crypto_pwhash_SALTBYTES), "Argon2id salts are 16 bytes")
        var key = [UInt8](repeating: 0, count: 16)
        // A non-null pointer even for an empty password.
        let passwordBytes = password.isEmpty ? [0] : password
        let status = key.withUnsafeMutableBufferPointer { out in
            passwordBytes.withUnsafeBufferPointer { passwordBuffer in
                passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars in
                    salt.withUnsafeBufferPointer { saltBuffer in
                        guard let outBase = out.baseAddress, let passwordBase = passwordChars.baseAddress,
                              let saltBase = saltBuffer.baseAddress else { return Int32(-1) }
                        return crypto_pwhash(
                            outBase, UInt64(out.count), passwordBase, UInt64(password.count),
                            saltBase, 3, 4096 * 1024, crypto_pwhash_alg_argon2id13())
                    }
                }
            }
        }
        precondition(status == 0, "crypto_pwhash failed (out of memory)")
        return key
    }

    /// `count` bytes from the system's cryptographically secure random source.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(isInitialized, "libsodium failed to initialise")
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
        return bytes
    }
}
