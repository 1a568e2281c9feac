import Pkgar

/// The dependency closure of requested packages (pkgar.md §6.1): requested ones are manual, the
/// rest pulled in as dependencies; `dependents` kept on both sides.
public struct PackageResolution: Equatable, Sendable {
    public var packages: [String: PackageMetadata] = [:]
    public var manual: Set<String> = []
    public var dependents: [String: Set<String>] = [:]

    /// Resolves `names`, looking packages up with `lookup` (which throws for a missing one).
    public static func resolve(
        _ names: [String], lookup: (String) throws(InstallerError) -> PackageMetadata
    ) throws(InstallerError) -> PackageResolution {
        var result = PackageResolution()
        var pending = names.sorted()
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if result.packages[name] != nil { continue }
            try PackageNames.check(name)
            let metadata = try lookup(name)
            result.packages[name] = metadata
            for dependency in metadata.depends {
                result.dependents[dependency, default: []].insert(name)
                if result.packages[dependency] == nil { pending.append(dependency) }
            }
        }
        result.manual = Set(names)
        return result
    }

    /// The installed-system state (`etc/pkg/packages.toml`) for packages from repository `remote`.
    public func state(remote: String, publicKey: PublicKey) -> PackageState {
        var installed: [String: PackageState.Installed] = [:]
        for (name, package) in packages {
            installed[name] = PackageState.Installed(
                remote: remote, blake3: package.blake3, manual: manual.contains(name), storageSize: package.storageSize,
                dependencies: package.depends.sorted(), dependents: (dependents[name] ?? []).sorted())
        }
        return PackageState(publicKeys: [remote: publicKey.hex], installed: installed)
    }
}

/// Rules for package names used as file names.
enum PackageNames {
    static func check(_ name: String) throws(InstallerError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\0") else {
            throw .package(name: name, "not a valid package name")
        }
    }
}
