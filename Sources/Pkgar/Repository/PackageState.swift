// `etc/pkg/packages.toml` (pkgar.md §5): what is installed, from where, and the trusted keys.

/// The installed-system package state.
public struct PackageState: Equatable, Sendable {
    /// One installed package.
    public struct Installed: Equatable, Sendable {
        public var remote: String
        public var blake3: String
        public var manual: Bool
        public var storageSize: UInt64
        public var dependencies: [String]
        public var dependents: [String]

        public init(remote: String, blake3: String, manual: Bool, storageSize: UInt64 = 0, dependencies: [String] = [], dependents: [String] = []) {
            self.remote = remote
            self.blake3 = blake3
            self.manual = manual
            self.storageSize = storageSize
            self.dependencies = dependencies
            self.dependents = dependents
        }
    }

    /// Upstream's default protected packages.
    public static let defaultProtected = ["kernel", "base-initfs", "base", "ion", "pkg", "relibc", "libgcc", "libstdcxx"]

    public var protected: [String]
    /// Remote name → public key hex.
    public var publicKeys: [String: String]
    public var installed: [String: Installed]

    public init(protected: [String] = PackageState.defaultProtected, publicKeys: [String: String] = [:], installed: [String: Installed] = [:]) {
        self.protected = protected
        self.publicKeys = publicKeys
        self.installed = installed
    }

    /// Parses a `packages.toml` document.
    public init(text: String, path: String) throws(PkgarError) {
        let document = try TOMLDocument(text: text, name: path)
        protected = try document.strings("protected") ?? PackageState.defaultProtected
        publicKeys = [:]
        if let keys = try document.table("pubkeys") {
            for remote in keys.keys {
                publicKeys[remote] = try keys.table(remote)?.string("pkey") ?? ""
            }
        }
        installed = [:]
        if let packages = try document.table("installed") {
            for name in packages.keys {
                guard let entry = try packages.table(name) else { continue }
                installed[name] = Installed(
                    remote: try entry.string("remote") ?? "", blake3: try entry.string("blake3") ?? "",
                    manual: try entry.boolean("manual") ?? false,
                    storageSize: UInt64(max(0, try entry.integer("storage_size") ?? 0)),
                    dependencies: try entry.strings("dependencies") ?? [], dependents: try entry.strings("dependents") ?? [])
            }
        }
    }

    /// The document text (sorted; reproducible).
    public var text: String {
        var toml = TOMLText()
        toml.set("protected", .strings(protected))
        for remote in publicKeys.keys.sorted() {
            toml.table(["pubkeys", remote])
            toml.set("pkey", .string(publicKeys[remote] ?? ""))
        }
        for name in installed.keys.sorted() {
            guard let entry = installed[name] else { continue }
            toml.table(["installed", name])
            toml.set("remote", .string(entry.remote))
            toml.set("blake3", .string(entry.blake3))
            toml.set("manual", .boolean(entry.manual))
            toml.set("storage_size", .integer(Int64(entry.storageSize)))
            toml.set("dependencies", .strings(entry.dependencies))
            toml.set("dependents", .strings(entry.dependents))
        }
        return toml.document
    }
}
