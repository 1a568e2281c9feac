// Cooking one unit (cookbook.md §6): compute the build key from content, restore a cached result
// or run the script in the sandbox, split and package the stage, record it in the cache.
import Foundation
import Pkgar

/// How a unit's cook ended.
public enum CookStatus: String, Sendable {
    case successful, cached, failed
}

/// The result of cooking one unit.
public struct CookResult: Sendable {
    public let unit: BuildUnit
    public let status: CookStatus
    /// Header BLAKE3 by package name (empty for meta-packages and failures).
    public let packageHashes: [String: String]
    /// The build key.
    public let key: String
    public let error: CookbookError?
}

/// Builds one unit whose dependencies are done.
struct UnitBuilder {
    let context: CookbookContext
    let recipe: Recipe
    let unit: BuildUnit
    let source: FetchedSource
    /// Results of the unit's build and dev dependencies.
    let dependencies: [CookResult]

    func cook() -> CookResult {
        do {
            let key = try buildKey()
            let triple = context.triple(of: unit)
            let targetDirectory = try context.targetDirectory(of: unit)
            let cache = BuildCache(directory: context.cacheDirectory)
            if try cache.restore(unit: unit, triple: triple, key: key, into: targetDirectory) {
                return CookResult(unit: unit, status: .cached, packageHashes: try recordedHashes(targetDirectory), key: key, error: nil)
            }
            let hashes = try build(targetDirectory: targetDirectory)
            try cache.store(unit: unit, triple: triple, key: key, from: targetDirectory)
            return CookResult(unit: unit, status: .successful, packageHashes: hashes, key: key, error: nil)
        } catch {
            return CookResult(unit: unit, status: .failed, packageHashes: [:], key: "", error: error)
        }
    }

    /// BLAKE3 of everything the output depends on: the procedure and toolchain versions, the
    /// target, the signing key, the packaging, the time, the recipe folder (recipe.toml, patches,
    /// helper files), the source tree, and the packages of the dependencies.
    func buildKey() throws(CookbookError) -> String {
        let recipeHash = try TreeHash.hash(recipe.directory, excluding: ["source", "source.tmp", "source.tar", "source.tar.tmp", "target"])
        var lines = [
            "procedure \(CookbookCommands.procedureVersion)",
            "toolchain \(context.toolchainVersion)",
            "target \(context.triple(of: unit)) host \(unit.isHost)",
            "key \(try context.signingKey().publicKey.hex)",
            "compressed \(context.options.compressed)",
            "epoch \(context.options.sourceDateEpoch)",
            "recipe \(recipeHash)",
            "source \(source.treeHash)",
        ]
        for dependency in dependencies.sorted(by: { $0.unit < $1.unit }) {
            for name in dependency.packageHashes.keys.sorted() {
                lines.append("dependency \(dependency.unit) \(name) \(dependency.packageHashes[name] ?? "")")
            }
        }
        return Hex.encode(Blake3.hash(Array(lines.joined(separator: "\n").utf8)))
    }

    private func recordedHashes(_ targetDirectory: String) throws(CookbookError) -> [String: String] {
        var hashes: [String: String] = [:]
        try CookbookError.wrap { () throws(PkgarError) in
            for name in try Posix.directoryEntries(targetDirectory) where name.hasPrefix("stage") && name.hasSuffix(".toml") {
                let metadata = try PackageMetadata.load(targetDirectory + "/" + name)
                if !metadata.blake3.isEmpty { hashes[metadata.name] = metadata.blake3 }
            }
        }
        return hashes
    }

    private func build(targetDirectory: String) throws(CookbookError) -> [String: String] {
        let triple = context.triple(of: unit)
        let script = try recipe.template.script(recipe: recipe.name, target: triple, isHost: unit.isHost)
        let build = targetDirectory + "/build", stageTemporary = targetDirectory + "/stage.tmp"
        let sysroot = targetDirectory + "/sysroot", toolchain = targetDirectory + "/toolchain"
        try CookbookError.wrap { () throws(PkgarError) in
            try Posix.makeDirectories(targetDirectory)
            for name in try Posix.directoryEntries(targetDirectory) where name.hasPrefix("stage") || name == "auto_deps.toml" {
                try Posix.removeTree(targetDirectory + "/" + name)
            }
            for folder in [build, sysroot, toolchain] { try Posix.removeTree(folder) }
            for folder in [build, stageTemporary, sysroot, toolchain] { try Posix.makeDirectories(folder) }
            for folder in ["usr/bin", "usr/include", "usr/lib", "usr/share"] {
                try Posix.makeDirectories(sysroot + "/" + folder)
                try Posix.makeDirectories(toolchain + "/" + folder)
            }
        }
        try installDependencies(sysroot: sysroot, toolchain: toolchain)
        if case .none = recipe.template {} else {
            let logPath = context.logPath(of: unit)
            try CookbookError.wrap { () throws(PkgarError) in
                try Posix.makeDirectories((logPath as NSString).deletingLastPathComponent)
                try Posix.removeFile(logPath)
            }
            let sandbox = Sandbox(
                recipeDirectory: recipe.directory, sourceDirectory: source.directory, buildDirectory: build,
                stageDirectory: stageTemporary, sysrootDirectory: sysroot, toolchainDirectory: toolchain,
                environment: Sandbox.environment(
                    recipe: recipe.name, target: triple, hostTarget: context.hostTarget, jobs: context.options.jobs,
                    sourceDateEpoch: context.options.sourceDateEpoch,
                    extra: ["COOKBOOK_SOURCE_IDENT": source.identifier, "COOKBOOK_COMMIT_IDENT": context.commitIdentifier]))
            let guarded = ["timeout", "--kill-after=30", String(context.options.buildTimeout)] + (try sandbox.command())
            let result = try Shell.run(guarded, input: Prelude.build + "\n" + script + "\n" + Prelude.post, logPath: logPath)
            guard result.status == 0 else {
                try? CookbookError.wrap { () throws(PkgarError) in try Posix.removeTree(stageTemporary) }
                throw .buildFailed(recipe: unit.description, log: logPath, status: result.status)
            }
        }
        let packager = Packager(context: context)
        try packager.splitOptionalPackages(recipe, stage: stageTemporary, targetDirectory: targetDirectory)
        try CookbookError.wrap { () throws(PkgarError) in try Posix.rename(stageTemporary, to: targetDirectory + "/stage") }
        return try packager.package(recipe, unit: unit, source: source, targetDirectory: targetDirectory)
    }

    /// Extracts each dependency's archives (verified with the cookbook's key): host units' and
    /// build dependencies' into the sysroot, `host:` dev-dependencies' into the toolchain folder.
    private func installDependencies(sysroot: String, toolchain: String) throws(CookbookError) {
        let key = try context.signingKey().publicKey
        for dependency in dependencies {
            let destination = dependency.unit.isHost && !unit.isHost ? toolchain : sysroot
            let folder = try context.targetDirectory(of: dependency.unit)
            for name in dependency.packageHashes.keys.sorted() {
                let suffix = name.split(separator: ".", maxSplits: 1).dropFirst().first.map { "." + $0 } ?? ""
                let archive = folder + "/stage" + suffix + ".pkgar"
                try CookbookError.wrap { () throws(PkgarError) in
                    try Package.open(archive, trustedKey: key).extract(to: destination)
                }
            }
        }
    }
}
