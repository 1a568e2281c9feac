// Creating a package from a directory (pkgar.md §2.1): a depth-first walk sorted by name bytes,
// regular files and symbolic links only, data in entry order, table hashed, header signed.

/// Builds signed archives.
public enum PackageBuilder {
    /// A file found by the walk.
    struct Item {
        let pathBytes: [UInt8]
        let mode: UInt32
        let content: [UInt8]
    }

    /// The archive bytes for the tree under `directory`, signed by `secretKey`.
    public static func archive(
        of directory: String, secretKey: SecretKey, packaging: PackageFlags.Packaging = .uncompressed
    ) throws(PkgarError) -> [UInt8] {
        var items: [Item] = []
        try walk(directory, relative: [], into: &items)
        return try archive(items: items, secretKey: secretKey, packaging: packaging)
    }

    /// Writes the archive of `directory` to `archivePath` (through a temporary file and rename).
    public static func create(
        archivePath: String, from directory: String, secretKey: SecretKey, packaging: PackageFlags.Packaging = .uncompressed
    ) throws(PkgarError) {
        let bytes = try archive(of: directory, secretKey: secretKey, packaging: packaging)
        try Posix.writeFileAtomically(archivePath, bytes: bytes, permissions: 0o644)
    }

    static func walk(_ directory: String, relative: [UInt8], into items: inout [Item]) throws(PkgarError) {
        for name in try Posix.directoryEntries(directory) {
            let path = directory + "/" + name
            let relativePath = relative.isEmpty ? Array(name.utf8) : relative + [UInt8(ascii: "/")] + Array(name.utf8)
            guard let status = try Posix.status(path) else { continue }
            switch status.kind {
            case .directory:
                try walk(path, relative: relativePath, into: &items)
            case .regular:
                let content = try Posix.readFile(path)
                guard UInt64(content.count) == status.size else {
                    throw .lengthMismatch(what: path, expected: status.size, actual: UInt64(content.count))
                }
                items.append(Item(pathBytes: relativePath, mode: PackageEntry.Kind.regularFile.rawValue | status.mode & 0o7777, content: content))
            case .symbolicLink:
                items.append(Item(pathBytes: relativePath, mode: PackageEntry.Kind.symbolicLink.rawValue | status.mode & 0o7777, content: try Posix.readLink(path)))
            case .other:
                throw .unsupportedFileKind(path: path)
            }
        }
    }

    static func archive(
        items: [Item], secretKey: SecretKey, packaging: PackageFlags.Packaging, checkingPaths: Bool = true
    ) throws(PkgarError) -> [UInt8] {
        var entries: [PackageEntry] = []
        var data: [UInt8] = []
        for item in items {
            if checkingPaths { _ = try PackageEntry.validatedComponents(of: item.pathBytes) }
            var stored = item.content
            if packaging == .lzma2 {
                var prefix = [UInt8](repeating: 0, count: 8)
                prefix.storeLE(UInt64(item.content.count), at: 0)
                stored = try prefix + LZMA2.compress(item.content)
            }
            entries.append(PackageEntry(
                blake3: Blake3.hash(item.content), offset: UInt64(data.count), size: UInt64(stored.count),
                mode: item.mode, pathBytes: item.pathBytes))
            data += stored
        }
        var table: [UInt8] = []
        table.reserveCapacity(entries.count * PackageEntry.size)
        for entry in entries { table += entry.bytes }
        var header = PackageHeader(
            signature: [UInt8](repeating: 0, count: 64), publicKey: secretKey.publicKey.bytes,
            blake3: Blake3.hash(table), count: UInt32(entries.count), flags: PackageFlags(packaging: packaging))
        header.signature = secretKey.sign(header.signedBytes)
        return header.bytes + table + data
    }
}

extension PackageBuilder {
    /// Builds an archive without checking paths (for tests of readers against hostile archives).
    static func archiveUnchecked(items: [Item], secretKey: SecretKey) throws(PkgarError) -> [UInt8] {
        try archive(items: items, secretKey: secretKey, packaging: .uncompressed, checkingPaths: false)
    }
}
