// `repo.toml` (pkgar.md §4, cookbook.md §8): build id, package identities, outdated packages.

/// The index of a repository directory for one target.
public struct RepositoryIndex: Equatable, Sendable {
    /// Provenance of a package that failed to build.
    public struct Outdated: Equatable, Sendable {
        public var sourceIdentifier: String
        public var commitIdentifier: String
        public var timeIdentifier: String

        public init(sourceIdentifier: String = "", commitIdentifier: String = "", timeIdentifier: String = "") {
            self.sourceIdentifier = sourceIdentifier
            self.commitIdentifier = commitIdentifier
            self.timeIdentifier = timeIdentifier
        }
    }

    public var buildID: String
    /// Package name → header BLAKE3 hex (or version for meta-packages, or empty).
    public var packages: [String: String]
    public var outdated: [String: Outdated]

    public init(buildID: String = "", packages: [String: String] = [:], outdated: [String: Outdated] = [:]) {
        self.buildID = buildID
        self.packages = packages
        self.outdated = outdated
    }

    /// Parses a `repo.toml` document.
    public init(text: String, path: String) throws(PkgarError) {
        let document = try TOMLDocument(text: text, name: path)
        buildID = try document.string("build_id") ?? ""
        packages = [:]
        if let table = try document.table("packages") {
            for key in table.keys { packages[key] = try table.string(key) ?? "" }
        }
        outdated = [:]
        if let table = try document.table("outdated_packages") {
            for key in table.keys {
                guard let entry = try table.table(key) else { continue }
                outdated[key] = Outdated(
                    sourceIdentifier: try entry.string("source_identifier") ?? "",
                    commitIdentifier: try entry.string("commit_identifier") ?? "",
                    timeIdentifier: try entry.string("time_identifier") ?? "")
            }
        }
    }

    /// Reads `repo.toml`.
    public static func load(_ path: String) throws(PkgarError) -> RepositoryIndex {
        try RepositoryIndex(text: String(decoding: Posix.readFile(path), as: UTF8.self), path: path)
    }

    /// The document text, packages sorted by name (reproducible).
    public var text: String {
        var toml = TOMLText()
        if !buildID.isEmpty { toml.set("build_id", .string(buildID)) }
        toml.table(["packages"])
        for name in packages.keys.sorted() { toml.set(name, .string(packages[name] ?? "")) }
        for name in outdated.keys.sorted() {
            guard let entry = outdated[name] else { continue }
            toml.table(["outdated_packages", name])
            if !entry.sourceIdentifier.isEmpty { toml.set("source_identifier", .string(entry.sourceIdentifier)) }
            if !entry.commitIdentifier.isEmpty { toml.set("commit_identifier", .string(entry.commitIdentifier)) }
            if !entry.timeIdentifier.isEmpty { toml.set("time_identifier", .string(entry.timeIdentifier)) }
        }
        return toml.document
    }
}
