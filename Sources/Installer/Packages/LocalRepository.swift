import TOMLKit

/// A local package repository (`--cookbook DIR`): packages in `DIR/repo/<target>/`, trusted key
/// in `DIR/build/id_ed25519.pub.toml` (installer.md §4).
public struct LocalRepository: PackageSource {
    public let cookbook: String
    public let target: String
    public var directory: String { cookbook + "/repo/" + target }
    public var keyFile: String { cookbook + "/build/id_ed25519.pub.toml" }

    public init(cookbook: String, target: String) throws(InstallerError) {
        self.cookbook = cookbook
        self.target = target
    }

    /// `build_id` of `repo.toml`, or nil.
    public static func buildID(cookbook: String, target: String) -> String? {
        guard let text = try? HostFiles.readText(cookbook + "/repo/" + target + "/repo.toml"),
              let table = try? TOMLTable(string: text), let id = table["build_id"]?.string, !id.isEmpty else { return nil }
        return id
    }

    /// The metadata of package `name`.
    public func metadata(_ name: String) throws(InstallerError) -> PackageMetadata {
        let path = directory + "/" + name + ".toml"
        guard HostFiles.exists(path) else { throw .package(name: name, "not found in \(directory)") }
        return try PackageMetadata.parse(try HostFiles.readText(path), file: path)
    }

    public func install(_ names: [String], into tree: StagedTree, log: (String) -> Void) throws(InstallerError) {
        let resolution = try PackageResolution.resolve(names) { (name: String) throws(InstallerError) -> PackageMetadata in
            try metadata(name)
        }
        let key = try PackageArchives.trustedKey(keyFile)
        for name in resolution.packages.keys.sorted() {
            let package = resolution.packages[name]!
            if package.isMeta { continue }
            let head = try PackageArchives.extract(
                archive: directory + "/" + name + ".pkgar", package: name, publicKey: key, into: tree)
            try tree.writeFile("var/lib/packages/\(name).pkgar_head", content: .bytes(head), followLink: false)
            log("installed \(name)")
        }
        let state = resolution.stateTOML(remote: "local", publicKeyHex: PackageArchives.hex(key))
        try tree.writeFile("etc/pkg/packages.toml", content: .bytes(Array(state.utf8)), followLink: false)
    }
}
