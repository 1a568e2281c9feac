// Ed25519 signatures and the secret-key box through libsodium (NaCl `crypto_sign`, as upstream).
import CSodium

/// Ed25519 keys and detached signatures (libsodium).
public enum Ed25519 {
    /// libsodium is initialised once, on first use.
    static let isInitialized: Bool = sodium_init() >= 0

    /// The public key (32 bytes) and secret key (64 bytes = seed ‖ public key) for a 32-byte seed.
    public static func keyPair(seed: [UInt8]) -> (publicKey: [UInt8], secretKey: [UInt8])? {
        guard isInitialized, seed.count == 32 else { return nil }
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        let status = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        return status == 0 ? (publicKey, secretKey) : nil
    }

    /// The 64-byte detached signature of `message` (deterministic).
    public static func sign(_ message: [UInt8], secretKey: [UInt8]) -> [UInt8] {
        precondition(isInitialized && secretKey.count == 64, "Ed25519 secret keys are 64 bytes")
        var signature = [UInt8](repeating: 0, count: 64)
        var length: UInt64 = 0
        _ = crypto_sign_detached(&signature, &length, message, UInt64(message.count), secretKey)
        return signature
    }

    /// Whether `signature` is a valid signature of `message` by `publicKey`.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard isInitialized, signature.count == 64, publicKey.count == 32 else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }

    /// `count` bytes from the system's secure random source.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(isInitialized, "libsodium failed to initialise")
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
        return bytes
    }
}

/// The passphrase protection of secret key files (pkgar.md §3): Argon2id + XSalsa20-Poly1305.
enum SecretKeyBox {
    static let saltSize = 32
    static let nonceSize = 24

    /// Argon2id v1.3, OPSLIMIT_INTERACTIVE (2), MEMLIMIT_INTERACTIVE (64 MiB), 32-byte key.
    static func derive(passphrase: [UInt8], salt: [UInt8]) -> [UInt8]? {
        guard Ed25519.isInitialized, salt.count >= Int(crypto_pwhash_SALTBYTES) else { return nil }
        var key = [UInt8](repeating: 0, count: 32)
        let password = passphrase.map { CChar(bitPattern: $0) } + [0]
        let status = crypto_pwhash(
            &key, UInt64(key.count), password, UInt64(passphrase.count), Array(salt.prefix(Int(crypto_pwhash_SALTBYTES))),
            UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), Int(crypto_pwhash_MEMLIMIT_INTERACTIVE),
            crypto_pwhash_ALG_ARGON2ID13)
        return status == 0 ? key : nil
    }

    static func seal(_ plaintext: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8] {
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_secretbox_MACBYTES))
        _ = crypto_secretbox_easy(&ciphertext, plaintext, UInt64(plaintext.count), nonce, key)
        return ciphertext
    }

    static func open(_ ciphertext: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard ciphertext.count >= Int(crypto_secretbox_MACBYTES) else { return nil }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - Int(crypto_secretbox_MACBYTES))
        let status = crypto_secretbox_open_easy(&plaintext, ciphertext, UInt64(ciphertext.count), nonce, key)
        return status == 0 ? plaintext : nil
    }
}
