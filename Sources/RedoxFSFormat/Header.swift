/// A file-system header: one 4096-byte block of the header ring.
public struct Header: Equatable, Sendable {
    public static let hashedByteCount = 4072
    static let keySlotsOffset = 80
    static let releaseOffset = 3152
    /// Bytes after the release pointer up to the hash: zero in every header the reference writes.
    public static let paddingRange = (releaseOffset + 16)..<hashedByteCount
    static let encryptedHashOffset = 4072
    static let hashOffset = 4088

    /// All 4096 bytes, kept so that fields this type does not name (padding) survive a rewrite.
    public private(set) var bytes: [UInt8]

    /// A zeroed header with signature and version set.
    public init(uuid: [UInt8], size: UInt64) {
        bytes = [UInt8](repeating: 0, count: RedoxFS.blockSize)
        for i in 0..<8 { bytes[i] = RedoxFS.signature[i] }
        bytes.storeLE64(RedoxFS.version, at: 8)
        for i in 0..<16 { bytes[16 + i] = i < uuid.count ? uuid[i] : 0 }
        self.size = size
    }

    /// Wraps a block read from the ring; does not check it (see `validate`).
    public init(block: [UInt8]) {
        precondition(block.count >= RedoxFS.blockSize)
        bytes = Array(block[0..<RedoxFS.blockSize])
    }

    public var signatureMatches: Bool {
        for i in 0..<8 where bytes[i] != RedoxFS.signature[i] { return false }
        return true
    }

    public var version: UInt64 { bytes.le64(at: 8) }
    public var uuid: [UInt8] { Array(bytes[16..<32]) }

    /// File-system size in bytes, counted from the file-system start.
    public var size: UInt64 {
        get { bytes.le64(at: 32) }
        set { bytes.storeLE64(newValue, at: 32) }
    }

    /// Number of 4096-byte blocks in the file system.
    public var blockCount: UInt64 { size / UInt64(RedoxFS.blockSize) }

    public var generation: UInt64 {
        get { bytes.le64(at: 40) }
        set { bytes.storeLE64(newValue, at: 40) }
    }

    /// The root (level-3) TreeList of the node tree.
    public var tree: BlockPointer {
        get { BlockPointer(bytes: bytes, at: 48) }
        set { newValue.encode(into: &bytes, at: 48) }
    }

    /// The newest AllocList of the allocation log.
    public var alloc: BlockPointer {
        get { BlockPointer(bytes: bytes, at: 64) }
        set { newValue.encode(into: &bytes, at: 64) }
    }

    /// The newest ReleaseList, or null.
    public var release: BlockPointer {
        get { BlockPointer(bytes: bytes, at: Self.releaseOffset) }
        set { newValue.encode(into: &bytes, at: Self.releaseOffset) }
    }

    /// The 48 bytes of key slot `n` (0..<64).
    public func keySlotBytes(_ n: Int) -> [UInt8] {
        let start = Self.keySlotsOffset + 48 * n
        return Array(bytes[start..<start + 48])
    }

    public mutating func setKeySlotBytes(_ n: Int, _ slot: [UInt8]) {
        let start = Self.keySlotsOffset + 48 * n
        for i in 0..<48 { bytes[start + i] = slot[i] }
    }

    /// Whether the padding (`paddingRange`) is all zero.
    public var paddingIsZero: Bool { bytes.isZero(Self.paddingRange) }

    /// Whether every key slot holds the same bytes as `other`'s.
    public func hasSameKeySlots(as other: Header) -> Bool {
        let slots = Self.keySlotsOffset..<(Self.keySlotsOffset + 48 * RedoxFS.keySlotCount)
        return bytes[slots].elementsEqual(other.bytes[slots])
    }

    /// Whether key slot `n` holds only zeros (unused).
    public func keySlotIsZero(_ n: Int) -> Bool {
        let start = Self.keySlotsOffset + 48 * n
        return bytes.isZero(start..<start + 48)
    }

    /// Zeroes the padding and, unless `keepingKeySlots`, every key slot (call `seal` afterwards).
    public mutating func clearPadding(keepingKeySlots: Bool) {
        for i in Self.paddingRange { bytes[i] = 0 }
        if !keepingKeySlots {
            for i in Self.keySlotsOffset..<(Self.keySlotsOffset + 48 * RedoxFS.keySlotCount) { bytes[i] = 0 }
        }
    }

    /// Whether the whole block is zero (a slot never written, or wiped).
    public var isBlank: Bool { bytes.isZero(0..<RedoxFS.blockSize) }

    public var encryptedHash: [UInt8] { Array(bytes[Self.encryptedHashOffset..<Self.encryptedHashOffset + 16]) }
    public var storedHash: UInt64 { bytes.le64(at: Self.hashOffset) }

    /// seahash of bytes 0..<4072.
    public func computeHash() -> UInt64 { SeaHash.hash(bytes, count: Self.hashedByteCount) }

    /// The plaintext that `encrypted_hash` holds (unencrypted) or encrypts: the hash's 8 bytes then 8 zeros.
    public var hashPlaintext: [UInt8] {
        var p = [UInt8](repeating: 0, count: 16)
        p.storeLE64(storedHash, at: 0)
        return p
    }

    /// Whether the header is encrypted: `encrypted_hash` differs from its plaintext form
    /// (`hashPlaintext`). Compared in place, without building either array: the engine asks on
    /// every read (`splitPieces`), and the two arrays were most of that question's cost.
    public var isEncrypted: Bool {
        guard bytes.le64(at: Self.encryptedHashOffset) == storedHash else { return true }
        return !bytes.isZero(Self.encryptedHashOffset + 8..<Self.encryptedHashOffset + 16)
    }

    /// Checks signature, version and hash.
    public func validate(block: UInt64) throws(FormatError) {
        guard signatureMatches else { throw .malformed(.header, block: block, .badSignature) }
        guard version == RedoxFS.version else { throw .malformed(.header, block: block, .badVersion) }
        guard computeHash() == storedHash else { throw .malformed(.header, block: block, .headerHashMismatch) }
    }

    public var isValid: Bool {
        signatureMatches && version == RedoxFS.version && computeHash() == storedHash
    }

    /// Recomputes `hash` and sets `encrypted_hash` to `encryptedHash` (already encrypted by the caller
    /// for encrypted file systems) or, when nil, to the plaintext form.
    public mutating func seal(encryptedHash: ((_ plaintext: [UInt8], _ generation: UInt64) -> [UInt8])? = nil) {
        let hash = computeHash()
        bytes.storeLE64(hash, at: Self.hashOffset)
        var p = [UInt8](repeating: 0, count: 16)
        p.storeLE64(hash, at: 0)
        let stored = encryptedHash.map { $0(p, generation) } ?? p
        for i in 0..<16 { bytes[Self.encryptedHashOffset + i] = stored[i] }
    }
}
