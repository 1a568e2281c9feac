// `<name>.toml` package metadata (pkgar.md §4, pkgutils `Package`): empty strings and zero sizes
// are omitted when written.

/// A package's metadata as published beside its archive (and as `stage.toml`).
public struct PackageMetadata: Equatable, Sendable {
    public var name: String
    /// Empty for meta-packages (nothing to extract).
    public var version: String
    public var target: String
    /// Hex of the archive header's BLAKE3.
    public var blake3: String
    public var sourceIdentifier: String
    public var commitIdentifier: String
    public var timeIdentifier: String
    public var patchIdentifier: String
    public var storageSize: UInt64
    public var networkSize: UInt64
    public var depends: [String]

    public init(
        name: String, version: String = "", target: String = "", blake3: String = "",
        sourceIdentifier: String = "", commitIdentifier: String = "", timeIdentifier: String = "",
        patchIdentifier: String = "", storageSize: UInt64 = 0, networkSize: UInt64 = 0, depends: [String] = []
    ) {
        self.name = name
        self.version = version
        self.target = target
        self.blake3 = blake3
        self.sourceIdentifier = sourceIdentifier
        self.commitIdentifier = commitIdentifier
        self.timeIdentifier = timeIdentifier
        self.patchIdentifier = patchIdentifier
        self.storageSize = storageSize
        self.networkSize = networkSize
        self.depends = depends
    }

    /// Whether there is no archive to install.
    public var isMetaPackage: Bool { version.isEmpty }

    /// Parses a metadata document.
    public init(text: String, path: String) throws(PkgarError) {
        let document = try TOMLDocument(text: text, name: path)
        guard let name = try document.string("name"), !name.isEmpty else {
            throw .invalidDocument(path: path, reason: "missing name")
        }
        self.init(
            name: name, version: try document.string("version") ?? "", target: try document.string("target") ?? "",
            blake3: try document.string("blake3") ?? "",
            sourceIdentifier: try document.string("source_identifier") ?? "",
            commitIdentifier: try document.string("commit_identifier") ?? "",
            timeIdentifier: try document.string("time_identifier") ?? "",
            patchIdentifier: try document.string("patch_identifier") ?? "",
            storageSize: UInt64(max(0, try document.integer("storage_size") ?? 0)),
            networkSize: UInt64(max(0, try document.integer("network_size") ?? 0)),
            depends: try document.strings("depends") ?? [])
    }

    /// Reads `<name>.toml`.
    public static func load(_ path: String) throws(PkgarError) -> PackageMetadata {
        try PackageMetadata(text: String(decoding: Posix.readFile(path), as: UTF8.self), path: path)
    }

    /// The document text (fixed key order).
    public var text: String {
        var toml = TOMLText()
        toml.set("name", .string(name))
        for (key, value) in [
            ("version", version), ("target", target), ("blake3", blake3), ("source_identifier", sourceIdentifier),
            ("commit_identifier", commitIdentifier), ("time_identifier", timeIdentifier),
            ("patch_identifier", patchIdentifier),
        ] where !value.isEmpty {
            toml.set(key, .string(value))
        }
        if storageSize > 0 { toml.set("storage_size", .integer(Int64(storageSize))) }
        if networkSize > 0 { toml.set("network_size", .integer(Int64(networkSize))) }
        if !depends.isEmpty { toml.set("depends", .strings(depends)) }
        return toml.document
    }
}
