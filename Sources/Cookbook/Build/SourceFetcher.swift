// Fetching sources (cookbook.md §4): the recipe's own source/, a path copied in when its content
// changed, another recipe's source, a local git repository, a tarball checked against its BLAKE3.
import Foundation
import Pkgar

/// A recipe's source after fetching.
public struct FetchedSource: Sendable {
    /// The folder the build sees read-only.
    public let directory: String
    /// `source_identifier` of the metadata.
    public let identifier: String
    /// Content hash of the folder (part of the cache key).
    public let treeHash: String
}

/// Brings a recipe's source into its `source/` folder.
struct SourceFetcher {
    let context: CookbookContext

    func fetch(_ recipe: Recipe, depth: Int = 0) throws(CookbookError) -> FetchedSource {
        let sourceDirectory = recipe.directory + "/source"
        switch recipe.source {
        case .existing:
            if (try? Posix.status(sourceDirectory)) == nil {
                try CookbookError.wrap { () throws(PkgarError) in try Posix.makeDirectories(sourceDirectory) }
            }
            return FetchedSource(directory: sourceDirectory, identifier: "local_source", treeHash: try TreeHash.hash(sourceDirectory))

        case let .sameAs(relative):
            guard depth < 16 else { throw .fetchFailed(recipe: recipe.name, reason: "same_as nested too deep") }
            let other = try Recipe.load(directory: resolve(relative, in: recipe.directory))
            return try fetch(other, depth: depth + 1)

        case let .path(relative, include, exclude):
            let origin = resolve(relative, in: recipe.directory)
            guard (try? Posix.status(origin))??.kind == .directory else {
                throw .fetchFailed(recipe: recipe.name, reason: "source path \(origin) is not a folder")
            }
            let hash = try TreeHash.hash(origin, excluding: Set(exclude), including: include)
            let stamp = recipe.directory + "/target/source-path.blake3"
            let current = (try? Posix.readFile(stamp)).map { String(decoding: $0, as: UTF8.self) }
            if current != hash || (try? Posix.status(sourceDirectory)) == nil {
                try replaceSource(of: recipe) { temporary throws(CookbookError) in try TreeHash.copy(origin, to: temporary, including: include, excluding: Set(exclude)) }
                try CookbookError.wrap { () throws(PkgarError) in
                    try Posix.makeDirectories(recipe.directory + "/target")
                    try Posix.writeFileAtomically(stamp, bytes: Array(hash.utf8))
                }
            }
            return FetchedSource(directory: sourceDirectory, identifier: "local_source", treeHash: hash)

        case let .git(url, branch, rev, patches, script):
            let location = isRemote(url) ? url : resolve(url, in: recipe.directory)
            if (try? Posix.status(sourceDirectory + "/.git")) == nil {
                if isRemote(url) && context.options.offline {
                    throw .fetchFailed(recipe: recipe.name, reason: "offline and \(url) was never cloned")
                }
                try replaceSource(of: recipe) { temporary throws(CookbookError) in
                    var clone = ["git", "clone", "--quiet", "--recursive"]
                    if let branch, rev == nil { clone += ["--branch", branch] }
                    try Shell.check(clone + [location, temporary])
                    if let rev { try Shell.check(["git", "-C", temporary, "checkout", "--quiet", rev]) }
                    try applyPatches(patches, script: script, recipe: recipe, source: temporary)
                }
            } else if let rev {
                let head = try Shell.check(["git", "-C", sourceDirectory, "rev-parse", "HEAD"])
                let wanted = try? Shell.check(["git", "-C", sourceDirectory, "rev-parse", rev + "^{commit}"])
                if wanted != head {
                    if !context.options.offline || !isRemote(url) { try Shell.check(["git", "-C", sourceDirectory, "fetch", "--quiet", location]) }
                    try Shell.check(["git", "-C", sourceDirectory, "checkout", "--quiet", rev])
                }
            }
            let head = try Shell.check(["git", "-C", sourceDirectory, "rev-parse", "HEAD"])
            return FetchedSource(directory: sourceDirectory, identifier: head, treeHash: try TreeHash.hash(sourceDirectory))

        case let .tar(url, blake3, patches, script):
            let tarball = recipe.directory + "/source.tar"
            if (try? Posix.status(tarball)) == nil {
                try download(url, to: tarball, recipe: recipe)
            }
            var actual = try fileHash(tarball)
            if let blake3, actual != blake3.lowercased() {
                // An older download that no longer matches is fetched again once.
                try CookbookError.wrap { () throws(PkgarError) in try Posix.removeFile(tarball) }
                try download(url, to: tarball, recipe: recipe)
                actual = try fileHash(tarball)
                guard actual == blake3.lowercased() else {
                    throw .fetchFailed(recipe: recipe.name, reason: "BLAKE3 of \(url) is \(actual), the recipe says \(blake3)")
                }
            } else if blake3 == nil {
                if context.options.offline { throw .fetchFailed(recipe: recipe.name, reason: "offline builds need blake3 for \(url)") }
                FileHandle.standardError.write(Data("warning: set blake3 for \(recipe.name) to \(actual)\n".utf8))
            }
            let stamp = recipe.directory + "/target/source-tar.blake3"
            let identity = actual + (patches.joined(separator: ",")) + (script ?? "")
            let current = (try? Posix.readFile(stamp)).map { String(decoding: $0, as: UTF8.self) }
            if current != identity || (try? Posix.status(sourceDirectory)) == nil {
                try replaceSource(of: recipe) { temporary throws(CookbookError) in
                    try CookbookError.wrap { () throws(PkgarError) in try Posix.makeDirectories(temporary) }
                    try Shell.check(["tar", "--extract", "--no-same-owner", "--file", tarball, "--directory", temporary, "--strip-components", "1"])
                    try applyPatches(patches, script: script, recipe: recipe, source: temporary)
                }
                try CookbookError.wrap { () throws(PkgarError) in
                    try Posix.makeDirectories(recipe.directory + "/target")
                    try Posix.writeFileAtomically(stamp, bytes: Array(identity.utf8))
                }
            }
            return FetchedSource(directory: sourceDirectory, identifier: actual, treeHash: try TreeHash.hash(sourceDirectory))
        }
    }

    private func isRemote(_ url: String) -> Bool {
        ["http://", "https://", "ftp://", "git://", "ssh://"].contains { url.hasPrefix($0) } || url.contains("@")
    }

    private func resolve(_ path: String, in directory: String) -> String {
        let stripped = path.hasPrefix("file://") ? String(path.dropFirst(7)) : path
        let full = stripped.hasPrefix("/") ? stripped : directory + "/" + stripped
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    private func fileHash(_ path: String) throws(CookbookError) -> String {
        try CookbookError.wrap { () throws(PkgarError) -> String in Hex.encode(Blake3.hash(try Posix.readFile(path))) }
    }

    private func download(_ url: String, to path: String, recipe: Recipe) throws(CookbookError) {
        if isRemote(url) {
            guard !context.options.offline else {
                throw .fetchFailed(recipe: recipe.name, reason: "offline and \(url) was never downloaded")
            }
            try Shell.check(["wget", "--quiet", "--continue", "-O", path + ".tmp", url])
        } else {
            try Shell.check(["cp", resolve(url, in: recipe.directory), path + ".tmp"])
        }
        try CookbookError.wrap { () throws(PkgarError) in try Posix.rename(path + ".tmp", to: path) }
    }

    /// Builds the new source in `source.tmp` and swaps it in.
    private func replaceSource(of recipe: Recipe, _ fill: (String) throws(CookbookError) -> Void) throws(CookbookError) {
        let temporary = recipe.directory + "/source.tmp"
        let sourceDirectory = recipe.directory + "/source"
        try CookbookError.wrap { () throws(PkgarError) in try Posix.removeTree(temporary) }
        try fill(temporary)
        try CookbookError.wrap { () throws(PkgarError) in
            try Posix.removeTree(sourceDirectory)
            try Posix.rename(temporary, to: sourceDirectory)
        }
    }

    private func applyPatches(_ patches: [String], script: String?, recipe: Recipe, source: String) throws(CookbookError) {
        for patch in patches {
            let path = resolve(patch, in: recipe.directory)
            let text = try CookbookError.wrap { () throws(PkgarError) -> String in String(decoding: try Posix.readFile(path), as: UTF8.self) }
            let result = try Shell.run(["patch", "--directory=\(source)", "--strip=1", "--quiet"], input: text)
            guard result.status == 0 else { throw .fetchFailed(recipe: recipe.name, reason: "patch \(patch) failed: \(result.output)") }
        }
        if let script {
            let result = try Shell.run(["bash", "-e"], in: source, input: script)
            guard result.status == 0 else { throw .fetchFailed(recipe: recipe.name, reason: "source script failed: \(result.output)") }
        }
    }
}
