import Pkgar

/// Loads a configuration file with its includes, merged in upstream's order (installer.md §1.1):
/// each file's includes (relative to its folder, each loaded recursively) come first, in order,
/// then the file itself; later ones win. An include that leads back to a file being loaded is
/// an error naming the chain (upstream recurses until its stack overflows).
public struct ConfigurationLoader {
    /// A key that was ignored, and the file it was in.
    public struct UnknownKey: Equatable, Sendable {
        public var file: String
        public var key: String
    }

    /// The merged configuration.
    public private(set) var configuration = Configuration()
    /// Every file read, in the order loaded.
    public private(set) var files: [String] = []
    /// Ignored keys of every file.
    public private(set) var unknownKeys: [UnknownKey] = []

    /// At most this many nested includes (a guard against very deep, acyclic chains).
    static let maximumDepth = 64

    /// Loads `path` and everything it includes.
    public init(path: String) throws(InstallerError) {
        configuration = try load(path, chain: [], shownAs: path)
    }

    private mutating func load(_ path: String, chain: [String], shownAs shown: String) throws(InstallerError) -> Configuration {
        let canonical = try HostFiles.canonical(path)
        if let start = chain.firstIndex(of: canonical) {
            throw .includeCycle(Array(chain[start...]) + [canonical])
        }
        guard chain.count < Self.maximumDepth else {
            throw .configuration(file: shown, "includes nested deeper than \(Self.maximumDepth) files")
        }
        let text: String
        do {
            text = try TOMLLoader.readText(path)
        } catch {
            throw .configuration(file: shown, error.located)
        }
        let parsed = try ConfigurationParser.parse(text, file: shown)
        files.append(canonical)
        unknownKeys += parsed.unknownKeys.map { UnknownKey(file: shown, key: $0) }
        let folder = HostFiles.directory(of: canonical)
        var chain = chain
        chain.append(canonical)
        var parts: [Configuration] = []
        for include in parsed.includes {
            let target = HostFiles.join(folder, include)
            guard HostFiles.exists(target) else {
                throw .configuration(file: shown, "include \"\(include)\": no such file (\(target))")
            }
            parts.append(try load(target, chain: chain, shownAs: target))
        }
        parts.append(parsed.configuration)
        var merged = parts[0]
        for part in parts.dropFirst() { merged.merge(part) }
        return merged
    }
}
