/// The data keys of an encrypted file system.
public struct DataKeys: Equatable, Sendable {
    /// k1: encrypts the data.
    public var dataKey: [UInt8]
    /// k2: encrypts the tweak.
    public var tweakKey: [UInt8]

    public init(dataKey: [UInt8], tweakKey: [UInt8]) {
        self.dataKey = dataKey
        self.tweakKey = tweakKey
    }
}

extension Header {
    /// The key slot `n` (0..<64).
    public func keySlot(_ n: Int) -> KeySlot { KeySlot(bytes: bytes, at: Header.keySlotsOffset + 48 * n) }

    /// Stores key slot `n`.
    public mutating func setKeySlot(_ n: Int, _ slot: KeySlot) {
        var raw = [UInt8](repeating: 0, count: 48)
        slot.encode(into: &raw, at: 0)
        setKeySlotBytes(n, raw)
    }

    /// Whether `keys` decrypt this header's `encrypted_hash` to its plaintext form (spec §5.3).
    public func accepts(_ keys: DataKeys) -> Bool {
        var check = encryptedHash
        XTSAES128(dataKey: keys.dataKey, tweakKey: keys.tweakKey)
            .decrypt(&check, firstUnit: generation, unitSize: 16)
        return check == hashPlaintext
    }

    /// Tries the password on each used key slot in order; `deriveKey(password, salt)` is Argon2id
    /// with the format's parameters (the caller picks the implementation).
    public func unlock(
        password: [UInt8], deriveKey: (_ password: [UInt8], _ salt: [UInt8]) -> [UInt8]
    ) throws(FormatError) -> (keys: DataKeys, slot: Int) {
        guard isEncrypted else { throw .notEncrypted }
        for n in 0..<RedoxFS.keySlotCount {
            let slot = keySlot(n)
            if slot.isEmpty { continue }
            let unwrapped = slot.unwrap(passwordKey: deriveKey(password, slot.salt))
            let keys = DataKeys(dataKey: unwrapped.dataKey, tweakKey: unwrapped.tweakKey)
            if accepts(keys) { return (keys, n) }
        }
        throw .wrongPassword
    }

    /// Seals the header for `keys` (nil: unencrypted), recomputing both hashes.
    public mutating func seal(keys: DataKeys?) {
        guard let keys else { seal(encryptedHash: nil); return }
        let cipher = XTSAES128(dataKey: keys.dataKey, tweakKey: keys.tweakKey)
        seal { plaintext, generation in
            var block = plaintext
            cipher.encrypt(&block, firstUnit: generation, unitSize: 16)
            return block
        }
    }
}
