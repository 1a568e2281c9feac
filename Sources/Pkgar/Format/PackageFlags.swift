// Header flags (pkgar.md §1.3): byte 0 data version, byte 1 architecture, byte 2 packaging.

/// The header's flag word.
public struct PackageFlags: Equatable, Sendable {
    /// Target architectures of byte 1 (readers accept any value).
    public enum Architecture: UInt8, Sendable {
        case independent = 0, x86_64 = 1, x86 = 2, aarch64 = 3, riscv64gc = 4
    }

    /// How entry data is stored (byte 2); unknown values are read as uncompressed.
    public enum Packaging: UInt8, Sendable {
        case uncompressed = 0, lzma2 = 1
    }

    /// The raw 32-bit value.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(version: UInt8 = 0, architecture: Architecture = .independent, packaging: Packaging = .uncompressed) {
        rawValue = UInt32(version) | UInt32(architecture.rawValue) << 8 | UInt32(packaging.rawValue) << 16
    }

    /// Data and entry format version (0 = current).
    public var version: UInt8 { UInt8(truncatingIfNeeded: rawValue) }
    /// Architecture byte (raw, since readers keep unknown values).
    public var architectureByte: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 8) }
    /// Packaging; unknown values are treated as uncompressed.
    public var packaging: Packaging { Packaging(rawValue: UInt8(truncatingIfNeeded: rawValue >> 16)) ?? .uncompressed }
}
