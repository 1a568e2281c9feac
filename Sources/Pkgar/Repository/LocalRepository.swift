// A local package repository folder for one target (pkgar.md §4): `<name>.toml`, `<name>.pkgar`
// and `repo.toml`, trusted through a given public key; dependency resolution as pkgutils does it
// (pkgar.md §6.1) and installation into an install root (§6.2).

/// The packages of `<base>/<triple>/`, verified with the repository's public key.
public struct LocalRepository: Sendable {
    /// The folder holding `repo.toml` and the packages.
    public let directory: String
    /// The key every archive must be signed with.
    public let publicKey: PublicKey
    /// The remote name recorded in `packages.toml`.
    public let remoteName: String

    public init(directory: String, publicKey: PublicKey, remoteName: String = "local") {
        self.directory = directory
        self.publicKey = publicKey
        self.remoteName = remoteName
    }

    /// `repo.toml`.
    public func index() throws(PkgarError) -> RepositoryIndex {
        try RepositoryIndex.load(directory + "/repo.toml")
    }

    /// `<name>.toml`; a missing file is `missingFile`.
    public func metadata(_ name: String) throws(PkgarError) -> PackageMetadata {
        guard !name.contains("/"), !name.isEmpty else { throw .invalidPath(path: name, reason: "not a package name") }
        let path = directory + "/" + name + ".toml"
        guard try Posix.status(path) != nil else { throw .missingFile(path: path) }
        return try PackageMetadata.load(path)
    }

    /// `<name>.pkgar`, opened and verified (signature, key, entry table).
    public func package(_ name: String) throws(PkgarError) -> Package {
        try Package.open(directory + "/" + name + ".pkgar", trustedKey: publicKey)
    }

    /// The requested packages and everything they depend on, dependencies before dependents,
    /// each once (resolution stops with an error after 100 rounds, as pkgutils does).
    public func closure(of names: [String]) throws(PkgarError) -> [PackageMetadata] {
        var ordered: [PackageMetadata] = []
        var placed: Set<String> = []
        var visiting: [String] = []
        func visit(_ name: String) throws(PkgarError) {
            if placed.contains(name) { return }
            guard !visiting.contains(name), visiting.count < 100 else {
                throw .invalidDocument(path: directory, reason: "dependency cycle or chain deeper than 100: \((visiting + [name]).joined(separator: " -> "))")
            }
            visiting.append(name)
            let metadata = try self.metadata(name)
            for dependency in metadata.depends { try visit(dependency) }
            visiting.removeLast()
            placed.insert(name)
            ordered.append(metadata)
        }
        for name in names { try visit(name) }
        return ordered
    }
}

extension InstalledSystem {
    /// Installs `names` and their dependencies from `repository`: every archive verified, files
    /// installed by transaction, heads kept, state recorded (requested names `manual`).
    /// Returns the names installed, in order.
    @discardableResult
    public func install(_ names: [String], from repository: LocalRepository) throws(PkgarError) -> [String] {
        let packages = try repository.closure(of: names)
        for metadata in packages {
            let archive = metadata.isMetaPackage ? nil : try repository.package(metadata.name)
            if let archive, !metadata.blake3.isEmpty, archive.blake3Hex != metadata.blake3 {
                throw .invalidBlake3(what: metadata.name + ".pkgar header", expected: metadata.blake3, actual: archive.blake3Hex)
            }
            try install(metadata: metadata, archive: archive, remote: repository.remoteName,
                        trustedKey: repository.publicKey, manual: names.contains(metadata.name))
        }
        return packages.map(\.name)
    }
}
