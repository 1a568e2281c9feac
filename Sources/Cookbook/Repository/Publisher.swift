// Publishing (cookbook.md §8): the named target packages and their runtime closure are copied to
// `repo/<triple>/<name>.pkgar|.toml`, and `repo.toml` is rewritten from the folder.
import Foundation
import Pkgar

/// Writes the local package repository.
struct Publisher {
    let context: CookbookContext
    let repositoryDirectory: String

    /// Publishes the packages of `units` (non-host) and their runtime dependencies;
    /// `failed` units are listed as outdated.
    func publish(units: [BuildUnit], failed: [BuildUnit]) throws(CookbookError) {
        let triple = context.options.target
        let folder = repositoryDirectory + "/" + triple
        try CookbookError.wrap { () throws(PkgarError) in
            try Posix.makeDirectories(folder)
            try PublicKey.load(context.publicKeyPath).save(to: repositoryDirectory + "/id_ed25519.pub.toml")
        }
        var pending = units.filter { !$0.isHost }.map { PackageNameRef(recipe: $0.recipe, optional: nil) }
        var seen: Set<PackageNameRef> = []
        var outdated: [String: RepositoryIndex.Outdated] = [:]
        while let name = pending.popLast() {
            guard !seen.contains(name) else { continue }
            seen.insert(name)
            guard let recipeFolder = context.catalog.directories[name.recipe] else {
                outdated[name.description] = RepositoryIndex.Outdated()
                continue
            }
            let base = recipeFolder + "/target/" + triple + "/stage" + (name.optional.map { "." + $0 } ?? "")
            guard let metadata = try? PackageMetadata.load(base + ".toml") else {
                outdated[name.description] = RepositoryIndex.Outdated(commitIdentifier: context.commitIdentifier, timeIdentifier: context.timeIdentifier)
                continue
            }
            try CookbookError.wrap { () throws(PkgarError) in
                try copyIfChanged(base + ".toml", to: folder + "/" + name.description + ".toml")
                if !metadata.blake3.isEmpty { try copyIfChanged(base + ".pkgar", to: folder + "/" + name.description + ".pkgar") }
            }
            if name.optional == nil, let entries = try? Posix.directoryEntries(recipeFolder + "/target/" + triple) {
                // Every optional package of a published recipe is published too.
                for entry in entries where entry.hasPrefix("stage.") && entry.hasSuffix(".toml") {
                    pending.append(PackageNameRef(recipe: name.recipe, optional: String(entry.dropFirst(6).dropLast(5))))
                }
            }
            for dependency in metadata.depends {
                if let parsed = try? PackageName(dependency) { pending.append(PackageNameRef(recipe: parsed.recipe, optional: parsed.optional)) }
            }
        }
        for unit in failed where !unit.isHost {
            outdated[unit.recipe] = RepositoryIndex.Outdated(commitIdentifier: context.commitIdentifier, timeIdentifier: context.timeIdentifier)
        }
        try writeIndex(folder: folder, outdated: outdated)
    }

    private func copyIfChanged(_ source: String, to destination: String) throws(PkgarError) {
        let bytes = try Posix.readFile(source)
        if (try? Posix.readFile(destination)) != bytes { try Posix.writeFileAtomically(destination, bytes: bytes) }
    }

    /// `repo.toml` from every `<name>.toml` of the folder; earlier outdated entries are kept unless
    /// the package is now published.
    private func writeIndex(folder: String, outdated: [String: RepositoryIndex.Outdated]) throws(CookbookError) {
        try CookbookError.wrap { () throws(PkgarError) in
            let indexPath = folder + "/repo.toml"
            var index = RepositoryIndex(buildID: context.commitIdentifier)
            if let previous = try? RepositoryIndex.load(indexPath) { index.outdated = previous.outdated }
            for name in try Posix.directoryEntries(folder) where name.hasSuffix(".toml") && name != "repo.toml" {
                let metadata = try PackageMetadata.load(folder + "/" + name)
                index.packages[metadata.name] = metadata.blake3.isEmpty ? metadata.version : metadata.blake3
            }
            for (name, entry) in outdated { index.outdated[name] = entry }
            for name in index.packages.keys where outdated[name] == nil { index.outdated[name] = nil }
            try Posix.writeFileAtomically(indexPath, bytes: Array(index.text.utf8))
        }
    }
}

/// A package of a recipe (mandatory or optional) for publishing.
struct PackageNameRef: Hashable, CustomStringConvertible {
    let recipe: String
    let optional: String?
    var description: String { recipe + (optional.map { "." + $0 } ?? "") }
}
