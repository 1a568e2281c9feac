// The 136-byte header (pkgar.md §1.1).

/// A package header: signature, signer's key, hash of the entry table, entry count and flags.
public struct PackageHeader: Equatable, Sendable {
    /// Encoded size in bytes.
    public static let size = 136
    /// Bytes 64..<136 are what the signature covers.
    public static let signedRange = 64..<136

    public var signature: [UInt8]
    public var publicKey: [UInt8]
    public var blake3: [UInt8]
    public var count: UInt32
    public var flags: PackageFlags

    public init(signature: [UInt8], publicKey: [UInt8], blake3: [UInt8], count: UInt32, flags: PackageFlags) {
        self.signature = signature
        self.publicKey = publicKey
        self.blake3 = blake3
        self.count = count
        self.flags = flags
    }

    /// Decodes the first 136 bytes of `bytes` (no verification; see `PackageReader`).
    public init(bytes: [UInt8]) throws(PkgarError) {
        guard bytes.count >= PackageHeader.size else {
            throw .truncated(what: "header", needed: PackageHeader.size, available: bytes.count)
        }
        signature = Array(bytes[0..<64])
        publicKey = Array(bytes[64..<96])
        blake3 = Array(bytes[96..<128])
        count = bytes.loadLE(UInt32.self, at: 128)
        flags = PackageFlags(rawValue: bytes.loadLE(UInt32.self, at: 132))
    }

    /// The encoded 136 bytes.
    public var bytes: [UInt8] {
        var bytes = signature + publicKey + blake3 + [UInt8](repeating: 0, count: 8)
        bytes.storeLE(count, at: 128)
        bytes.storeLE(flags.rawValue, at: 132)
        return bytes
    }

    /// The 72 signed bytes (public key ‖ blake3 ‖ count ‖ flags).
    public var signedBytes: [UInt8] { Array(bytes[PackageHeader.signedRange]) }

    /// Size of the head part (header plus entry table) in bytes.
    public var headSize: Int { PackageHeader.size + Int(count) * PackageEntry.size }
}
