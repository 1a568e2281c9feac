// Packaging (cookbook.md §7): splitting optional packages out of the stage, signing archives,
// writing stage.toml metadata.
import Foundation
import Pkgar

/// Turns a finished stage into `stage*.pkgar` and `stage*.toml`.
struct Packager {
    let context: CookbookContext

    /// Moves files matching each optional package's globs into `stage.<name>/` (first match wins).
    func splitOptionalPackages(_ recipe: Recipe, stage: String, targetDirectory: String) throws(CookbookError) {
        guard !recipe.optionalPackages.isEmpty else { return }
        var files: [String] = []
        try CookbookError.wrap { () throws(PkgarError) in
            try TreeHash.walk(stage, relative: "", excluding: []) { relative, status, _ in
                if status.kind != .directory { files.append(relative) }
            }
        }
        for optional in recipe.optionalPackages {
            let destination = targetDirectory + "/stage." + optional.name
            try CookbookError.wrap { () throws(PkgarError) in try Posix.makeDirectories(destination) }
            for file in files where optional.files.contains(where: { fnmatch($0, file, 0) == 0 }) {
                guard (try? Posix.status(stage + "/" + file)) != nil else { continue }
                if let slash = file.lastIndex(of: "/") {
                    try CookbookError.wrap { () throws(PkgarError) in try Posix.makeDirectories(destination + "/" + file[..<slash]) }
                }
                try CookbookError.wrap { () throws(PkgarError) in try Posix.rename(stage + "/" + file, to: destination + "/" + file) }
            }
        }
    }

    /// Writes the archives and metadata of every package of the recipe; returns header hashes
    /// by package name.
    func package(_ recipe: Recipe, unit: BuildUnit, source: FetchedSource, targetDirectory: String) throws(CookbookError) -> [String: String] {
        let key = try context.signingKey()
        let packaging: PackageFlags.Packaging = context.options.compressed ? .lzma2 : .uncompressed
        let triple = context.triple(of: unit)
        let version = guessVersion(recipe, source: source)
        var hashes: [String: String] = [:]
        var packages: [(suffix: String?, dependencies: [String])] = recipe.optionalPackages.map { optional in
            let dependencies = optional.dependencies.map { $0.hasPrefix(".") ? recipe.name + $0 : $0 } + [recipe.name]
            return (optional.name, dependencies)
        }
        packages.append((nil, recipe.packageDependencies.map { $0.withoutPrefix.description }))
        for (suffix, dependencies) in packages {
            let base = targetDirectory + "/stage" + (suffix.map { "." + $0 } ?? "")
            let name = recipe.name + (suffix.map { "." + $0 } ?? "")
            var metadata = PackageMetadata(
                name: name, version: version, target: triple, sourceIdentifier: source.identifier,
                commitIdentifier: context.commitIdentifier, timeIdentifier: context.timeIdentifier, depends: dependencies)
            if case .none = recipe.template {
                metadata.version = recipe.version ?? ""
            } else {
                try CookbookError.wrap { () throws(PkgarError) in
                    try PackageBuilder.create(archivePath: base + ".pkgar", from: base, secretKey: key, packaging: packaging)
                    let package = try Package.open(base + ".pkgar", trustedKey: key.publicKey)
                    metadata.blake3 = package.blake3Hex
                    let archiveSize = UInt64(try Posix.status(base + ".pkgar")?.size ?? 0)
                    metadata.networkSize = archiveSize
                    metadata.storageSize = packaging == .uncompressed ? archiveSize : try package.installedSize()
                }
                hashes[name] = metadata.blake3
            }
            try CookbookError.wrap { () throws(PkgarError) in try Posix.writeFileAtomically(base + ".toml", bytes: Array(metadata.text.utf8)) }
        }
        return hashes
    }

    /// `package.version`, else the first `\d+(\.\d+){1,2}` of the tar URL, rev or branch, else
    /// the version of `Cargo.toml`, else `TODO`; empty for meta-packages.
    func guessVersion(_ recipe: Recipe, source: FetchedSource) -> String {
        if let version = recipe.version { return version }
        if case .none = recipe.template { return "" }
        var candidates: [String] = []
        switch recipe.source {
        case let .tar(url, _, _, _): candidates.append(url)
        case let .git(_, branch, rev, _, _): candidates += [rev, branch].compactMap { $0 }
        default: break
        }
        let pattern = try? NSRegularExpression(pattern: #"\d+(\.\d+){1,2}"#)
        for candidate in candidates {
            let range = NSRange(candidate.startIndex..., in: candidate)
            if let match = pattern?.firstMatch(in: candidate, range: range), let swiftRange = Range(match.range, in: candidate) {
                return String(candidate[swiftRange])
            }
        }
        if let cargo = try? Posix.readFile(source.directory + "/Cargo.toml"),
           let document = try? TOMLDocument(text: String(decoding: cargo, as: UTF8.self), name: "Cargo.toml"),
           let package = try? document.table("package"), let version = try? package.string("version") {
            return version
        }
        return "TODO"
    }
}
