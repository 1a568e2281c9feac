// Key files (pkgar.md §3): `pkey = "<hex>"` public keys and `salt`/`nonce`/`skey` secret keys,
// plain (64-byte skey) or passphrase-protected (80-byte skey).

/// An Ed25519 public key as stored in `id_ed25519.pub.toml`.
public struct PublicKey: Equatable, Sendable {
    /// The 32 key bytes.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Lowercase hex of the key.
    public var hex: String { Hex.encode(bytes) }

    /// The key file's text.
    public var fileText: String {
        var toml = TOMLText()
        toml.set("pkey", .string(hex))
        return toml.document
    }

    /// Parses a public key file's text.
    public init(fileText: String, path: String) throws(PkgarError) {
        let document = try TOMLDocument(text: fileText, name: path)
        guard let hex = try document.string("pkey") else { throw .invalidKeyFile(path: path, reason: "no pkey") }
        guard let bytes = Hex.decode(hex), bytes.count == 32 else {
            throw .invalidKeyFile(path: path, reason: "pkey must be 64 hex digits")
        }
        self.bytes = bytes
    }

    /// Reads a public key file.
    public static func load(_ path: String) throws(PkgarError) -> PublicKey {
        let bytes = try Posix.readFile(path)
        return try PublicKey(fileText: String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Writes the key file (mode 0o644).
    public func save(to path: String) throws(PkgarError) {
        try Posix.writeFileAtomically(path, bytes: Array(fileText.utf8), permissions: 0o644)
    }
}

/// An Ed25519 secret key (seed ‖ public key) with its key-file form.
public struct SecretKey: Sendable {
    /// The 64 secret-key bytes.
    public let bytes: [UInt8]
    /// The matching public key.
    public let publicKey: PublicKey

    /// The key for a 32-byte seed.
    public init?(seed: [UInt8]) {
        guard let pair = Ed25519.keyPair(seed: seed), let publicKey = PublicKey(bytes: pair.publicKey) else { return nil }
        bytes = pair.secretKey
        self.publicKey = publicKey
    }

    /// A new random key.
    public static func generate() -> SecretKey {
        guard let key = SecretKey(seed: Ed25519.randomBytes(32)) else { preconditionFailure("libsodium key generation failed") }
        return key
    }

    /// Signs `message` (deterministic Ed25519).
    public func sign(_ message: [UInt8]) -> [UInt8] { Ed25519.sign(message, secretKey: bytes) }

    /// The secret key file's text: plain when `passphrase` is empty or nil, else encrypted.
    public func fileText(passphrase: [UInt8]? = nil) throws(PkgarError) -> String {
        let salt = Ed25519.randomBytes(SecretKeyBox.saltSize)
        let nonce = Ed25519.randomBytes(SecretKeyBox.nonceSize)
        var stored = bytes
        if let passphrase, !passphrase.isEmpty {
            guard let key = SecretKeyBox.derive(passphrase: passphrase, salt: salt) else {
                throw .invalidKeyFile(path: "(new key)", reason: "key derivation failed")
            }
            stored = SecretKeyBox.seal(bytes, nonce: nonce, key: key)
        }
        var toml = TOMLText()
        toml.set("salt", .string(Hex.encode(salt)))
        toml.set("nonce", .string(Hex.encode(nonce)))
        toml.set("skey", .string(Hex.encode(stored)))
        return toml.document
    }

    /// Whether a secret key file's text holds an encrypted key.
    public static func isEncrypted(fileText: String, path: String) throws(PkgarError) -> Bool {
        let parts = try parts(fileText: fileText, path: path)
        return parts.skey.count == 80
    }

    /// Parses a secret key file; `passphrase` is asked for only when the key is encrypted.
    public init(fileText: String, path: String, passphrase: () throws(PkgarError) -> [UInt8]) throws(PkgarError) {
        let parts = try SecretKey.parts(fileText: fileText, path: path)
        var plain = parts.skey
        if parts.skey.count == 80 {
            let phrase = try passphrase()
            guard let key = SecretKeyBox.derive(passphrase: phrase, salt: parts.salt),
                  let opened = SecretKeyBox.open(parts.skey, nonce: parts.nonce, key: key) else {
                throw .wrongPassphrase
            }
            plain = opened
        }
        // The public half is derived again from the seed on load.
        guard plain.count == 64, let key = SecretKey(seed: Array(plain[0..<32])) else {
            throw .invalidKeyFile(path: path, reason: "skey is not a valid Ed25519 key")
        }
        self = key
    }

    /// Reads a plain secret key file (an encrypted one needs `load(_:passphrase:)`).
    public static func load(_ path: String) throws(PkgarError) -> SecretKey {
        try load(path) { () throws(PkgarError) -> [UInt8] in
            throw .invalidKeyFile(path: path, reason: "the key is encrypted; a passphrase is needed")
        }
    }

    /// Reads a secret key file, calling `passphrase` if it is encrypted.
    public static func load(_ path: String, passphrase: () throws(PkgarError) -> [UInt8]) throws(PkgarError) -> SecretKey {
        let bytes = try Posix.readFile(path)
        return try SecretKey(fileText: String(decoding: bytes, as: UTF8.self), path: path, passphrase: passphrase)
    }

    /// Writes the key file with mode 0o600.
    public func save(to path: String, passphrase: [UInt8]? = nil) throws(PkgarError) {
        try Posix.writeFileAtomically(path, bytes: Array(fileText(passphrase: passphrase).utf8), permissions: 0o600)
    }

    private static func parts(fileText: String, path: String) throws(PkgarError) -> (salt: [UInt8], nonce: [UInt8], skey: [UInt8]) {
        let document = try TOMLDocument(text: fileText, name: path)
        guard let saltHex = try document.string("salt"), let salt = Hex.decode(saltHex), salt.count == 32 else {
            throw .invalidKeyFile(path: path, reason: "salt must be 64 hex digits")
        }
        guard let nonceHex = try document.string("nonce"), let nonce = Hex.decode(nonceHex), nonce.count == 24 else {
            throw .invalidKeyFile(path: path, reason: "nonce must be 48 hex digits")
        }
        guard let skeyHex = try document.string("skey"), let skey = Hex.decode(skeyHex), skey.count == 64 || skey.count == 80 else {
            throw .invalidKeyFile(path: path, reason: "skey must be 128 (plain) or 160 (encrypted) hex digits")
        }
        return (salt, nonce, skey)
    }
}

/// Default key locations (pkgar.md §3).
public enum KeyPaths {
    /// `$HOME/.pkgar/keys` (or `./.pkgar/keys` without HOME).
    public static var defaultDirectory: String {
        (Posix.environment("HOME").map { $0 } ?? ".") + "/.pkgar/keys"
    }
    public static var defaultSecretKey: String { defaultDirectory + "/id_ed25519.toml" }
    public static var defaultPublicKey: String { defaultDirectory + "/id_ed25519.pub.toml" }
}
