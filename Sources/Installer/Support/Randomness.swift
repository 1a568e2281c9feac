import RedoxFS

/// Where the installer's random values come from: with a seed (reproducible builds, from the
/// configuration and SOURCE_DATE_EPOCH) every value is derived from the seed and a label;
/// without one they are random.
public struct Randomness: Sendable {
    public let seed: [UInt8]?

    public init(seed: [UInt8]?) {
        self.seed = seed
    }

    /// The seed of a reproducible build of `configurationText` at `epoch`.
    public static func reproducible(configurationText: String, epoch: UInt64) -> Randomness {
        Randomness(seed: sha256(Array("redox-installer\0\(epoch)\0".utf8) + Array(configurationText.utf8)))
    }

    /// 32 bytes for `label`.
    public func bytes(_ label: String) -> [UInt8] {
        guard let seed else { return Sodium.randomBytes(32) }
        return Self.sha256(seed + Array(label.utf8))
    }

    /// 16 bytes of `random` marked as a version-4 UUID (in textual byte order).
    public static func uuidBytes(_ random: [UInt8]) -> [UInt8] {
        var bytes = Array(random.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return bytes
    }

    public func guid(_ label: String) -> GUID { GUID(version4From: bytes(label)) }

    public func uint64(_ label: String) -> UInt64 {
        bytes(label).prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array(SHA256Digest.hex(bytes).utf8)
        return (0..<32).map { i in
            func value(_ c: UInt8) -> UInt8 { c >= 0x61 ? c - 0x61 + 10 : c - 0x30 }
            return value(hex[2 * i]) << 4 | value(hex[2 * i + 1])
        }
    }
}
