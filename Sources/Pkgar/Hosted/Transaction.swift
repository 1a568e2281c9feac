// The install transaction (pkgar.md §2.2–2.3): every entry is verified and written to a temporary
// name beside its target; nothing is visible until `commit`, which renames from last to first.
// Entry paths are checked before anything is written: relative, normal components only, and never
// through a symbolic link — neither one already on disk nor one placed by an entry of the package.

/// A set of pending file-system actions under an install root.
public struct Transaction: Sendable {
    /// One pending action.
    public enum Action: Equatable, Sendable {
        /// Rename the verified temporary file to the target.
        case rename(temporary: String, target: String)
        /// Delete the target.
        case remove(target: String)

        /// The path the action changes.
        public var target: String {
            switch self {
            case let .rename(_, target), let .remove(target): return target
            }
        }
    }

    /// Pending actions, applied from last to first by `commit`.
    public private(set) var actions: [Action] = []

    public init() {}

    /// Queues the installation of every entry of `package` under `root`.
    ///
    /// With `keepLocalChanges`, a target that exists as a file whose hash differs from the entry's
    /// is left alone (upgrades); a fresh install overwrites. On any error the temporary files this
    /// call wrote are deleted and nothing is queued.
    public mutating func install(_ package: Package, into root: String, keepLocalChanges: Bool = false) throws(PkgarError) {
        try install(package, into: root, keepLocalChanges: keepLocalChanges, skipping: [:], previous: [:])
    }

    /// Queues the removal of the installed files of `head`'s entries whose hash still matches.
    public mutating func remove(_ head: Package, from root: String) throws(PkgarError) {
        var queued: [Action] = []
        for entry in head.entries {
            if let action = try removal(of: entry, root: root) { queued.append(action) }
        }
        actions += queued
    }

    /// Queues `new` over `old`: changed or new entries installed (keeping local changes), entries
    /// only in `old` removed (when unchanged), unchanged entries skipped.
    public mutating func replace(old: Package, new: Package, root: String) throws(PkgarError) {
        var oldByPath: [[UInt8]: PackageEntry] = [:]
        for entry in old.entries { oldByPath[entry.pathBytes] = entry }
        var unchanged: [[UInt8]: Bool] = [:]
        var previousHashes: [[UInt8]: [UInt8]] = [:]
        for entry in new.entries {
            if let previous = oldByPath.removeValue(forKey: entry.pathBytes) {
                previousHashes[entry.pathBytes] = previous.blake3
                if previous.blake3 == entry.blake3, previous.mode == entry.mode { unchanged[entry.pathBytes] = true }
            }
        }
        try install(new, into: root, keepLocalChanges: true, skipping: unchanged, previous: previousHashes)
        for entry in old.entries where oldByPath[entry.pathBytes] != nil {
            if let action = try removal(of: entry, root: root) { actions.append(action) }
        }
    }

    /// Adds the actions of `other`; when two actions target the same path the first is kept and
    /// the path is returned as a possible conflict.
    @discardableResult
    public mutating func merge(_ other: Transaction) -> [String] {
        var targets = Set(actions.map(\.target))
        var conflicts: [String] = []
        for action in other.actions {
            if targets.contains(action.target) {
                conflicts.append(action.target)
                if case let .rename(temporary, _) = action { try? Posix.removeFile(temporary) }
                continue
            }
            targets.insert(action.target)
            actions.append(action)
        }
        return conflicts
    }

    /// Applies the actions from last to first; a failure keeps the remaining ones (retryable).
    /// Returns the number of actions applied.
    @discardableResult
    public mutating func commit() throws(PkgarError) -> Int {
        var applied = 0
        while let action = actions.last {
            switch action {
            case let .rename(temporary, target): try Posix.rename(temporary, to: target)
            case let .remove(target): try Posix.removeFile(target, ignoringMissing: false)
            }
            actions.removeLast()
            applied += 1
        }
        return applied
    }

    /// Deletes the temporary files and forgets every action.
    public mutating func abort() {
        for case let .rename(temporary, _) in actions { try? Posix.removeFile(temporary) }
        actions.removeAll()
    }

    // MARK: - Installing

    /// `previous` maps paths to the hash the old package installed there: a file still holding it
    /// is untouched and may be replaced; any other differing content is a local change and kept.
    private mutating func install(
        _ package: Package, into root: String, keepLocalChanges: Bool, skipping: [[UInt8]: Bool],
        previous: [[UInt8]: [UInt8]]
    ) throws(PkgarError) {
        let plan = try Transaction.checkedPaths(of: package)
        try Posix.makeDirectories(root)
        var queued: [Action] = []
        do {
            for (entry, components) in zip(package.entries, plan) where skipping[entry.pathBytes] == nil {
                let content = try package.content(of: entry)
                let directory = try Transaction.parentDirectory(root: root, components: components, create: true)
                let name = components[components.count - 1]
                let target = directory + "/" + name
                if keepLocalChanges, let status = try Posix.status(target), status.kind == .regular {
                    let existing = try Blake3.hash(Posix.readFile(target))
                    if existing != entry.blake3 && existing != previous[entry.pathBytes] { continue }
                }
                var temporary = directory + "/.pkgar." + name
                if try Posix.status(temporary) != nil { temporary = directory + "/.pkgar." + Hex.encode(entry.blake3) }
                try Posix.removeFile(temporary)
                switch try entry.kind() {
                case .regularFile: try Posix.createFile(temporary, bytes: content, permissions: entry.permissions)
                case .symbolicLink: try Posix.createSymbolicLink(temporary, target: content)
                }
                queued.append(.rename(temporary: temporary, target: target))
            }
        } catch {
            for case let .rename(temporary, _) in queued { try? Posix.removeFile(temporary) }
            throw error
        }
        actions += queued
    }

    /// Validates every entry's kind and path before anything is written, and refuses entries whose
    /// path goes through a symbolic link placed by an entry of the same package.
    static func checkedPaths(of package: Package) throws(PkgarError) -> [[String]] {
        var links: Set<[String]> = []
        var paths: [[String]] = []
        for entry in package.entries {
            let components = try entry.components()
            if try entry.kind() == .symbolicLink { links.insert(components) }
            paths.append(components)
        }
        for (index, components) in paths.enumerated() {
            for link in links where link.count < components.count && Array(components[0..<link.count]) == link {
                throw .pathThroughSymlink(path: package.entries[index].path, link: link.joined(separator: "/"))
            }
        }
        return paths
    }

    /// The entry's parent directory under `root`, refusing symbolic links on the way and creating
    /// missing directories when `create`.
    static func parentDirectory(root: String, components: [String], create: Bool) throws(PkgarError) -> String {
        var directory = root
        for component in components.dropLast() {
            directory += "/" + component
            switch try Posix.status(directory)?.kind {
            case nil:
                guard create else { throw .missingFile(path: directory) }
                try Posix.makeDirectory(directory)
            case .directory?:
                continue
            case .symbolicLink?:
                throw .pathThroughSymlink(path: components.joined(separator: "/"), link: directory)
            default:
                throw .io(path: directory, operation: "open directory", message: "not a directory")
            }
        }
        return directory
    }

    private func removal(of entry: PackageEntry, root: String) throws(PkgarError) -> Action? {
        let components = try entry.components()
        let directory = try Transaction.parentDirectory(root: root, components: components, create: false)
        let target = directory + "/" + components[components.count - 1]
        guard let status = try Posix.status(target) else { throw .missingFile(path: target) }
        let content: [UInt8]
        switch status.kind {
        case .regular: content = try Posix.readFile(target)
        case .symbolicLink: content = try Posix.readLink(target)
        default: return nil
        }
        return Blake3.hash(content) == entry.blake3 ? .remove(target: target) : nil
    }
}

extension Package {
    /// Installs every entry under `root` in one transaction (verify, write temporaries, commit).
    public func extract(to root: String) throws(PkgarError) {
        var transaction = Transaction()
        try transaction.install(self, into: root)
        do {
            try transaction.commit()
        } catch {
            transaction.abort()
            throw error
        }
    }

    /// Checks the files installed under `root` against every entry (hash and length).
    public func verifyInstalled(root: String) throws(PkgarError) {
        for entry in entries {
            let components = try entry.components()
            let directory = try Transaction.parentDirectory(root: root, components: components, create: false)
            let path = directory + "/" + components[components.count - 1]
            guard let status = try Posix.status(path) else { throw .missingFile(path: path) }
            let content = status.kind == .symbolicLink ? try Posix.readLink(path) : try Posix.readFile(path)
            let hash = Blake3.hash(content)
            guard hash == entry.blake3 else {
                throw .invalidBlake3(what: path, expected: Hex.encode(entry.blake3), actual: Hex.encode(hash))
            }
            if header.flags.packaging == .uncompressed, UInt64(content.count) != entry.size {
                throw .lengthMismatch(what: path, expected: entry.size, actual: UInt64(content.count))
            }
        }
    }
}
