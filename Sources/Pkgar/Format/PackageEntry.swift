// The 308-byte entry record (pkgar.md §1.2) and the path rule (`check_path`).

/// One file or symbolic link of a package.
public struct PackageEntry: Equatable, Sendable {
    /// Encoded size in bytes.
    public static let size = 308
    /// Bytes of the NUL-padded path field.
    public static let pathFieldSize = 256

    /// Kind bits of `mode`.
    public enum Kind: UInt32, Sendable {
        case regularFile = 0o100000
        case symbolicLink = 0o120000
    }

    /// BLAKE3 of the uncompressed content (file bytes or link target).
    public var blake3: [UInt8]
    /// Offset of the stored data from the start of the data part.
    public var offset: UInt64
    /// Bytes the stored data occupies (including the LZMA2 length prefix).
    public var size: UInt64
    /// Unix mode: kind and permission bits.
    public var mode: UInt32
    /// The raw path bytes (up to the first NUL).
    public var pathBytes: [UInt8]

    public init(blake3: [UInt8], offset: UInt64, size: UInt64, mode: UInt32, pathBytes: [UInt8]) {
        self.blake3 = blake3
        self.offset = offset
        self.size = size
        self.mode = mode
        self.pathBytes = pathBytes
    }

    /// Decodes 308 bytes starting at `offset` of `bytes`.
    public init(bytes: [UInt8], at start: Int = 0) throws(PkgarError) {
        guard bytes.count >= start + PackageEntry.size else {
            throw .truncated(what: "entry", needed: start + PackageEntry.size, available: bytes.count)
        }
        blake3 = Array(bytes[start..<start + 32])
        offset = bytes.loadLE(UInt64.self, at: start + 32)
        size = bytes.loadLE(UInt64.self, at: start + 40)
        mode = bytes.loadLE(UInt32.self, at: start + 48)
        let field = bytes[start + 52..<start + 52 + PackageEntry.pathFieldSize]
        pathBytes = Array(field.prefix { $0 != 0 })
    }

    /// The encoded 308 bytes.
    public var bytes: [UInt8] {
        var bytes = blake3 + [UInt8](repeating: 0, count: PackageEntry.size - 32)
        bytes.storeLE(offset, at: 32)
        bytes.storeLE(size, at: 40)
        bytes.storeLE(mode, at: 48)
        for (index, byte) in pathBytes.prefix(PackageEntry.pathFieldSize).enumerated() { bytes[52 + index] = byte }
        return bytes
    }

    /// The path as text (invalid UTF-8 repaired for display).
    public var path: String { String(decoding: pathBytes, as: UTF8.self) }

    /// Permission bits (mask 0o7777).
    public var permissions: UInt32 { mode & 0o7777 }

    /// The entry's kind; throws for modes with stray bits or unsupported kinds.
    public func kind() throws(PkgarError) -> Kind {
        guard mode & ~UInt32(0o177777) == 0, let kind = Kind(rawValue: mode & 0o170000) else {
            throw .invalidMode(path: path, mode: mode)
        }
        return kind
    }

    /// The validated path components: relative, every component a normal name.
    public func components() throws(PkgarError) -> [String] {
        try PackageEntry.validatedComponents(of: pathBytes)
    }

    /// The path rule: non-empty, shorter than 256 bytes, relative, no `.`/`..`/empty components.
    public static func validatedComponents(of pathBytes: [UInt8]) throws(PkgarError) -> [String] {
        let text = String(decoding: pathBytes, as: UTF8.self)
        guard !pathBytes.isEmpty else { throw .invalidPath(path: text, reason: "empty path") }
        guard pathBytes.count < PackageEntry.pathFieldSize else {
            throw .invalidPath(path: text, reason: "longer than 255 bytes")
        }
        guard !pathBytes.contains(0) else { throw .invalidPath(path: text, reason: "contains a NUL byte") }
        guard pathBytes.first != UInt8(ascii: "/") else { throw .invalidPath(path: text, reason: "absolute path") }
        let parts = pathBytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var components: [String] = []
        for (index, part) in parts.enumerated() {
            if part.isEmpty {
                // A trailing slash is tolerated as a normalised path would be; inner empties are not.
                if index == parts.count - 1 && index > 0 { continue }
                throw .invalidPath(path: text, reason: "empty component")
            }
            if part.elementsEqual([UInt8(ascii: ".")]) { throw .invalidPath(path: text, reason: "contains \".\"") }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                throw .invalidPath(path: text, reason: "contains \"..\"")
            }
            components.append(String(decoding: part, as: UTF8.self))
        }
        return components
    }
}
