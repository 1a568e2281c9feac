/// One 48-byte password slot of an encrypted header (§5.2): a salt and the data keys (k1, k2)
/// each wrapped by one AES-128-ECB block under the password key Argon2id(password, salt).
///
/// The Argon2id derivation is left to the caller, so a hosted engine can use a faster library.
public struct KeySlot: Equatable, Sendable {
    /// The encoded size of a slot in bytes.
    public static let size = 48

    /// The random 16-byte salt of the password key.
    public var salt: [UInt8]
    /// k1 (the data key) encrypted under the password key.
    public var wrappedDataKey: [UInt8]
    /// k2 (the tweak key) encrypted under the password key.
    public var wrappedTweakKey: [UInt8]

    /// An empty (all-zero) slot.
    public init() {
        let zero = [UInt8](repeating: 0, count: 16)
        self.init(salt: zero, wrappedDataKey: zero, wrappedTweakKey: zero)
    }

    /// A slot from its three 16-byte fields.
    public init(salt: [UInt8], wrappedDataKey: [UInt8], wrappedTweakKey: [UInt8]) {
        precondition(salt.count == 16 && wrappedDataKey.count == 16 && wrappedTweakKey.count == 16,
                     "key slot fields are 16 bytes")
        self.salt = salt
        self.wrappedDataKey = wrappedDataKey
        self.wrappedTweakKey = wrappedTweakKey
    }

    /// Decodes the slot stored at `bytes[offset ..< offset + 48]`.
    public init(bytes: [UInt8], at offset: Int) {
        precondition(offset >= 0 && bytes.count - offset >= Self.size, "key slot out of bounds")
        self.init(
            salt: Array(bytes[offset ..< offset + 16]),
            wrappedDataKey: Array(bytes[offset + 16 ..< offset + 32]),
            wrappedTweakKey: Array(bytes[offset + 32 ..< offset + 48]))
    }

    /// Whether all 48 bytes are zero (an unused slot).
    public var isEmpty: Bool {
        for i in 0..<16 where salt[i] | wrappedDataKey[i] | wrappedTweakKey[i] != 0 {
            return false
        }
        return true
    }

    /// Writes the slot to `bytes[offset ..< offset + 48]`.
    public func encode(into bytes: inout [UInt8], at offset: Int) {
        precondition(offset >= 0 && bytes.count - offset >= Self.size, "key slot out of bounds")
        for i in 0..<16 {
            bytes[offset + i] = salt[i]
            bytes[offset + 16 + i] = wrappedDataKey[i]
            bytes[offset + 32 + i] = wrappedTweakKey[i]
        }
    }

    /// A slot wrapping `dataKey` and `tweakKey` under `passwordKey`, the Argon2id output for the
    /// password and `salt`.
    public static func wrap(dataKey: [UInt8], tweakKey: [UInt8], salt: [UInt8], passwordKey: [UInt8]) -> KeySlot {
        let cipher = AES128(key: passwordKey)
        return KeySlot(salt: salt, wrappedDataKey: cipher.encrypt(dataKey), wrappedTweakKey: cipher.encrypt(tweakKey))
    }

    /// The keys this slot holds if `passwordKey` (Argon2id of the password and `salt`) is right.
    ///
    /// Unwrapping never fails by itself: whether the keys are right is checked against the
    /// header's `encrypted_hash` (§5.3).
    public func unwrap(passwordKey: [UInt8]) -> (dataKey: [UInt8], tweakKey: [UInt8]) {
        let cipher = AES128(key: passwordKey)
        return (cipher.decrypt(wrappedDataKey), cipher.decrypt(wrappedTweakKey))
    }
}
