import TOMLKit

/// A package's `<name>.toml` in a repository (pkgar.md §4).
public struct PackageMetadata: Equatable, Sendable {
    public var name: String
    public var version: String
    public var target: String
    public var blake3: String
    public var storageSize: UInt64
    public var networkSize: UInt64
    public var depends: [String]

    /// An empty version marks a meta-package (nothing to extract).
    public var isMeta: Bool { version.isEmpty }

    /// Parses `text` (from `file`).
    public static func parse(_ text: String, file: String) throws(InstallerError) -> PackageMetadata {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw .configuration(file: file, "not a package description: \(error)")
        }
        func string(_ key: String) throws(InstallerError) -> String {
            guard let value = table[key] else { return "" }
            guard let string = value.string else { throw .configuration(file: file, "\(key): expected a string") }
            return string
        }
        func size(_ key: String) throws(InstallerError) -> UInt64 {
            guard let value = table[key] else { return 0 }
            guard let int = value.int, int >= 0 else { throw .configuration(file: file, "\(key): expected a size") }
            return UInt64(int)
        }
        var depends: [String] = []
        if let value = table["depends"] {
            guard let array = value.array else { throw .configuration(file: file, "depends: expected an array of names") }
            for element in array {
                guard let name = element.string else { throw .configuration(file: file, "depends: expected names") }
                depends.append(name)
            }
        }
        return PackageMetadata(
            name: try string("name"), version: try string("version"), target: try string("target"),
            blake3: try string("blake3"), storageSize: try size("storage_size"), networkSize: try size("network_size"),
            depends: depends)
    }
}

/// The dependency closure of requested packages (pkgar.md §6.1): requested ones are manual,
/// the rest pulled in as dependencies; `dependents` kept on both sides.
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
        var rounds = 0
        while !pending.isEmpty {
            rounds += 1
            guard rounds <= 100_000 else { throw .other("package dependencies do not settle") }
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

    /// `etc/pkg/packages.toml` (pkgar.md §5) for packages installed from repository `remote`.
    public func stateTOML(remote: String, publicKeyHex: String) -> String {
        var text = "protected = [\"kernel\", \"base-initfs\", \"base\", \"ion\", \"pkg\", \"relibc\", \"libgcc\", \"libstdcxx\"]\n\n"
        text += "[pubkeys.\(remote)]\npkey = \"\(publicKeyHex)\"\n"
        for name in packages.keys.sorted() {
            let package = packages[name]!
            text += "\n[installed.\(Self.key(name))]\n"
            text += "remote = \"\(remote)\"\n"
            text += "blake3 = \"\(package.blake3)\"\n"
            text += "manual = \(manual.contains(name))\n"
            text += "storage_size = \(package.storageSize)\n"
            text += "dependencies = [\(package.depends.sorted().map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            text += "dependents = [\((dependents[name] ?? []).sorted().map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        }
        return text
    }

    /// A TOML key for `name` (quoted when it holds more than bare-key characters).
    static func key(_ name: String) -> String {
        name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } ? name : "\"\(name)\""
    }
}

/// Rules for package names used as file names.
enum PackageNames {
    static func check(_ name: String) throws(InstallerError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\0"),
              !name.contains("\""), !name.contains("\\") else {
            throw .package(name: name, "not a valid package name")
        }
    }
}
