import Pkgar
import TOMLKit

/// A local package repository (`--cookbook DIR`): packages in `DIR/repo/<target>/`, trusted key
/// in `DIR/build/id_ed25519.pub.toml` (installer.md §4).
public struct LocalRepository: PackageSource {
    public let cookbook: String
    public let target: String
    public var directory: String { cookbook + "/repo/" + target }
    public var keyFile: String { cookbook + "/build/id_ed25519.pub.toml" }

    public init(cookbook: String, target: String) {
        self.cookbook = cookbook
        self.target = target
    }

    /// `build_id` of `repo.toml`, or nil.
    public static func buildID(cookbook: String, target: String) -> String? {
        guard let table = try? TOMLLoader.load(cookbook + "/repo/" + target + "/repo.toml"),
              let id = table["build_id"]?.string, !id.isEmpty else { return nil }
        return id
    }

    /// The metadata of package `name`.
    public func metadata(_ name: String) throws(InstallerError) -> PackageMetadata {
        let path = directory + "/" + name + ".toml"
        guard HostFiles.exists(path) else { throw .package(name: name, "not found in \(directory)") }
        do {
            return try PackageMetadata.load(path)
        } catch {
            throw .package(name: name, "\(error)")
        }
    }

    public func install(_ names: [String], into tree: StagedTree, log: (String) -> Void) throws(InstallerError) {
        let resolution = try PackageResolution.resolve(names) { (name: String) throws(InstallerError) -> PackageMetadata in
            try metadata(name)
        }
        let key: PublicKey
        do {
            key = try PublicKey.load(keyFile)
        } catch {
            throw .other("the repository's key \(keyFile): \(error)")
        }
        for name in resolution.packages.keys.sorted() {
            let package = resolution.packages[name]!
            if package.isMetaPackage { continue }
            let head = try PackageArchives.stage(archive: directory + "/" + name + ".pkgar", package: name, trustedKey: key, into: tree)
            try tree.writeFile("var/lib/packages/\(name).pkgar_head", content: .bytes(head), followLink: false)
            log("package \(name): verified and staged")
        }
        let state = resolution.state(remote: "local", publicKey: key)
        try tree.writeFile("etc/pkg/packages.toml", content: .bytes(Array(state.text.utf8)), followLink: false)
    }
}
