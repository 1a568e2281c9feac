// Opening a package: the signature is checked against the caller's trusted key, the embedded key
// must equal it, the entry table's BLAKE3 must match, and every entry's content is verified when
// it is read (pkgar.md §1.5, §2.4).

/// A verified package: a whole archive, or a head whose data is the installed files under a root.
public struct Package: Sendable {
    /// Where entry contents come from.
    enum DataSource: Sendable {
        case archive(bytes: [UInt8], dataStart: Int)
        case installed(root: String)
    }

    /// The verified header.
    public let header: PackageHeader
    /// The entries, in archive order (the table's hash is verified).
    public let entries: [PackageEntry]
    let source: DataSource
    /// The head bytes (header and entry table), as kept in `var/lib/packages/<name>.pkgar_head`.
    public let headBytes: [UInt8]
    /// A name for messages (the archive's path).
    public let name: String

    /// Verifies the header's signature against `trustedKey` and returns the decoded header.
    public static func verifiedHeader(_ bytes: [UInt8], trustedKey: PublicKey) throws(PkgarError) -> PackageHeader {
        let header = try PackageHeader(bytes: bytes)
        guard Ed25519.verify(signature: header.signature, message: header.signedBytes, publicKey: trustedKey.bytes) else {
            throw .invalidSignature
        }
        guard header.publicKey == trustedKey.bytes else {
            throw .invalidKey(embedded: Hex.encode(header.publicKey), trusted: trustedKey.hex)
        }
        return header
    }

    /// A whole archive (`.pkgar`) in memory.
    public init(bytes: [UInt8], trustedKey: PublicKey, name: String = "package") throws(PkgarError) {
        let header = try Package.verifiedHeader(bytes, trustedKey: trustedKey)
        let head = try PackageHeadContents(header: header, headBytes: bytes)
        self.header = header
        entries = head.entries
        headBytes = Array(bytes[0..<header.headSize])
        source = .archive(bytes: bytes, dataStart: header.headSize)
        self.name = name
    }

    /// A head (`.pkgar_head`) whose entry contents are the files installed under `root`.
    public init(headBytes bytes: [UInt8], trustedKey: PublicKey, installedRoot root: String, name: String = "package head") throws(PkgarError) {
        let header = try Package.verifiedHeader(bytes, trustedKey: trustedKey)
        let head = try PackageHeadContents(header: header, headBytes: bytes)
        self.header = header
        entries = head.entries
        headBytes = Array(bytes[0..<header.headSize])
        source = .installed(root: root)
        self.name = name
    }

    /// Opens and verifies an archive file.
    public static func open(_ path: String, trustedKey: PublicKey) throws(PkgarError) -> Package {
        try Package(bytes: Posix.readFile(path), trustedKey: trustedKey, name: path)
    }

    /// Opens a head file whose data is installed under `root`.
    public static func openHead(_ path: String, trustedKey: PublicKey, installedRoot root: String) throws(PkgarError) -> Package {
        try Package(headBytes: Posix.readFile(path), trustedKey: trustedKey, installedRoot: root, name: path)
    }

    /// The header's BLAKE3 as hex: the identity of this exact build (repo.toml, packages.toml).
    public var blake3Hex: String { Hex.encode(header.blake3) }

    /// The data part's bytes (empty for a head).
    public var dataBytes: [UInt8] {
        guard case let .archive(bytes, start) = source else { return [] }
        return Array(bytes[start...])
    }

    /// Sum of the uncompressed entry sizes is not stored; this is the size on disk after install.
    public func installedSize() throws(PkgarError) -> UInt64 {
        if header.flags.packaging == .uncompressed {
            return entries.reduce(UInt64(header.headSize)) { $0 + $1.size }
        }
        var total = UInt64(header.headSize)
        for entry in entries { total += try UInt64(content(of: entry).count) }
        return total
    }

    /// The entry's content (file bytes or link target), decoded and checked against its BLAKE3.
    public func content(of entry: PackageEntry) throws(PkgarError) -> [UInt8] {
        let content: [UInt8]
        switch source {
        case let .archive(bytes, dataStart):
            let available = UInt64(bytes.count - dataStart)
            guard entry.offset <= available, entry.size <= available - entry.offset else {
                throw .dataOutOfRange(path: entry.path)
            }
            let start = dataStart + Int(entry.offset)
            let stored = bytes[start..<start + Int(entry.size)]
            if header.flags.packaging == .lzma2 {
                guard stored.count >= 8 else {
                    throw .truncated(what: "LZMA2 length prefix of \(entry.path)", needed: 8, available: stored.count)
                }
                let prefix = Array(stored.prefix(8))
                let length = prefix.loadLE(UInt64.self, at: 0)
                content = try LZMA2.decompress(Array(stored.dropFirst(8)), expectedLength: length)
            } else {
                content = Array(stored)
            }
        case let .installed(root):
            let path = root + "/" + entry.path
            guard let status = try Posix.status(path) else { throw .missingFile(path: path) }
            switch status.kind {
            case .symbolicLink: content = try Posix.readLink(path)
            case .regular: content = try Posix.readFile(path)
            default: throw .unsupportedFileKind(path: path)
            }
            if header.flags.packaging == .uncompressed, UInt64(content.count) != entry.size {
                throw .lengthMismatch(what: path, expected: entry.size, actual: UInt64(content.count))
            }
        }
        let hash = Blake3.hash(content)
        guard hash == entry.blake3 else {
            throw .invalidBlake3(what: entry.path, expected: Hex.encode(entry.blake3), actual: Hex.encode(hash))
        }
        return content
    }

    /// Checks every entry's content (data part, or installed files for a head).
    public func verifyContents() throws(PkgarError) {
        for entry in entries {
            _ = try entry.kind()
            _ = try entry.components()
            _ = try content(of: entry)
        }
    }

    /// Writes the head to `headPath` and, for an archive, the data part to `dataPath`.
    public func split(headPath: String, dataPath: String?) throws(PkgarError) {
        try Posix.writeFileAtomically(headPath, bytes: headBytes)
        if let dataPath { try Posix.writeFileAtomically(dataPath, bytes: dataBytes) }
    }
}
