// The installed-system layout (pkgar.md §5) under an install root, and installing a published
// package into it the way pkgutils does: verify, transaction, head file, state.

/// An install root (an image being assembled, or `/`).
public struct InstalledSystem: Sendable {
    /// The root directory.
    public let root: String

    public init(root: String) { self.root = root }

    /// `etc/pkg/packages.toml`.
    public var statePath: String { root + "/etc/pkg/packages.toml" }
    /// `var/lib/packages/<name>.pkgar_head`.
    public func headPath(of name: String) -> String { root + "/var/lib/packages/" + name + ".pkgar_head" }
    /// `etc/pkg.d`: files of repository URLs.
    public var repositoryListDirectory: String { root + "/etc/pkg.d" }

    /// The state, or an empty one when the file does not exist.
    public func loadState() throws(PkgarError) -> PackageState {
        guard try Posix.status(statePath) != nil else { return PackageState() }
        return try PackageState(text: String(decoding: Posix.readFile(statePath), as: UTF8.self), path: statePath)
    }

    /// Writes the state file.
    public func saveState(_ state: PackageState) throws(PkgarError) {
        try Posix.makeDirectories(root + "/etc/pkg")
        try Posix.writeFileAtomically(statePath, bytes: Array(state.text.utf8))
    }

    /// Repository base URLs: every non-`#`, non-empty line of every file of `etc/pkg.d`, files in
    /// sorted name order.
    public func repositoryURLs() throws(PkgarError) -> [String] {
        guard try Posix.status(repositoryListDirectory)?.kind == .directory else { return [] }
        var urls: [String] = []
        for name in try Posix.directoryEntries(repositoryListDirectory) {
            let text = String(decoding: try Posix.readFile(repositoryListDirectory + "/" + name), as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: " \t")
                if !trimmed.isEmpty && !trimmed.hasPrefix("#") { urls.append(trimmed) }
            }
        }
        return urls
    }

    /// The remote name of a URL: the host part (between `://` and the next `/` or `:`).
    public static func remoteName(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        return String(rest.prefix { $0 != "/" && $0 != ":" })
    }

    /// Installs a verified package: every file in one transaction, the head kept under
    /// `var/lib/packages/`, and the state updated (remote, hash, manual flag, dependencies, key).
    /// Meta-packages (no archive) only update the state.
    public func install(
        metadata: PackageMetadata, archive: Package?, remote: String, trustedKey: PublicKey, manual: Bool
    ) throws(PkgarError) {
        var state = try loadState()
        if let archive {
            var transaction = Transaction()
            try transaction.install(archive, into: root)
            do {
                try Posix.makeDirectories(root + "/var/lib/packages")
                try Posix.writeFileAtomically(headPath(of: metadata.name), bytes: archive.headBytes)
                try transaction.commit()
            } catch {
                transaction.abort()
                throw error
            }
        }
        var entry = state.installed[metadata.name] ?? PackageState.Installed(remote: remote, blake3: "", manual: manual)
        entry.remote = remote
        entry.blake3 = archive?.blake3Hex ?? metadata.blake3
        entry.manual = entry.manual || manual
        entry.storageSize = metadata.storageSize
        entry.dependencies = metadata.depends
        state.installed[metadata.name] = entry
        for dependency in metadata.depends {
            guard var installed = state.installed[dependency] else { continue }
            if !installed.dependents.contains(metadata.name) {
                installed.dependents.append(metadata.name)
                installed.dependents.sort()
            }
            state.installed[dependency] = installed
        }
        for (name, installed) in state.installed where metadata.depends.isEmpty == false && installed.dependencies.contains(metadata.name) {
            if !entry.dependents.contains(name) { entry.dependents.append(name) }
        }
        entry.dependents.sort()
        state.installed[metadata.name] = entry
        state.publicKeys[remote] = trustedKey.hex
        try saveState(state)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var slice = self[...]
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
