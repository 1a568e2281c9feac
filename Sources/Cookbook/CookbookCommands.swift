// The operations behind `repo` (cookbook.md §10): fetch, cook, clean, unfetch, push and lists.
import Foundation
import Pkgar

/// Runs cookbook commands over a tree.
public struct CookbookCommands: Sendable {
    /// Recorded in every build key: bump when the build procedure changes its output.
    public static let procedureVersion = "swift-cookbook-1"

    public let context: CookbookContext

    public init(root: String, options: CookOptions) throws(CookbookError) {
        context = try CookbookContext(root: root, options: options)
    }

    /// The summary of a cook.
    public struct CookSummary: Sendable {
        public let results: [BuildUnit: CookResult]
        public let plan: DependencyPlan
        public var failed: [BuildUnit] { plan.order.filter { results[$0]?.status != .successful && results[$0]?.status != .cached } }
        public func units(with status: CookStatus) -> [BuildUnit] { plan.order.filter { results[$0]?.status == status } }
    }

    /// Fetches the sources of the closure of `names`.
    public func fetch(_ names: [PackageName], withPackageDependencies: Bool = false) throws(CookbookError) {
        let plan = try DependencyPlan(requested: names, catalog: context.catalog, withPackageDependencies: withPackageDependencies)
        let fetcher = SourceFetcher(context: context)
        for recipe in Set(plan.order.map(\.recipe)).sorted() {
            guard let parsed = plan.recipes[recipe] else { continue }
            _ = try fetcher.fetch(parsed)
            print("fetch \(recipe) - successful")
        }
    }

    /// Fetches, builds and packages the closure of `names`, then publishes the named target
    /// recipes into `repository`. `status` receives the `cook <name> - …` lines.
    public func cook(
        _ names: [PackageName], repository: String, withPackageDependencies: Bool = false,
        status: @escaping @Sendable (String) -> Void = { print($0) }
    ) throws(CookbookError) -> CookSummary {
        let plan = try DependencyPlan(requested: names, catalog: context.catalog, withPackageDependencies: withPackageDependencies)
        _ = try context.signingKey()
        // Sources are fetched first, one recipe at a time (a recipe may be built for host and target).
        let fetcher = SourceFetcher(context: context)
        var sources: [String: FetchedSource] = [:]
        var fetchErrors: [String: CookbookError] = [:]
        for recipe in Set(plan.order.map(\.recipe)).sorted() {
            guard let parsed = plan.recipes[recipe] else { continue }
            do { sources[recipe] = try fetcher.fetch(parsed) } catch { fetchErrors[recipe] = error }
        }
        let context = self.context
        let fetched = sources, fetchFailures = fetchErrors
        let results = CookScheduler().run(
            plan: plan, jobs: context.options.jobs, stopOnFailure: !context.options.nonstop,
            cook: { unit, dependencies in
                if let error = fetchFailures[unit.recipe] {
                    return CookResult(unit: unit, status: .failed, packageHashes: [:], key: "", error: error)
                }
                guard let recipe = plan.recipes[unit.recipe], let source = fetched[unit.recipe] else {
                    return CookResult(unit: unit, status: .failed, packageHashes: [:], key: "", error: .recipeNotFound(unit.recipe))
                }
                return UnitBuilder(context: context, recipe: recipe, unit: unit, source: source, dependencies: dependencies).cook()
            },
            report: { result, done, total in
                status("cook \(result.unit) - \(result.status.rawValue)")
                if let error = result.error { status("  \(error.description)") }
                if context.options.verbose || result.status == .failed,
                   let log = try? Posix.readFile(context.logPath(of: result.unit)), result.status == .failed {
                    let lines = String(decoding: log, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).suffix(20)
                    status(lines.map { "  | " + $0 }.joined(separator: "\n"))
                }
                if isatty(STDERR_FILENO) != 0 {
                    FileHandle.standardError.write(Data("\u{1B}[2K[\(done)/\(total)] cooked \(result.unit)\r".utf8))
                }
            })
        let summary = CookSummary(results: results, plan: plan)
        let requestedTargets = plan.requested.filter { !$0.isHost }
        let published = withPackageDependencies ? plan.order.filter { !$0.isHost } : requestedTargets
        try Publisher(context: context, repositoryDirectory: repository)
            .publish(units: published.filter { results[$0]?.status != .failed }, failed: summary.failed)
        return summary
    }

    /// Deletes `target/` of each recipe (or only `target/<triple>` with `onlyTarget`).
    public func clean(_ names: [String], onlyTarget: Bool = false) throws(CookbookError) {
        for name in names {
            guard let directory = context.catalog.directories[name] else { throw .recipeNotFound(name) }
            let path = onlyTarget ? directory + "/target/" + context.options.target : directory + "/target"
            try CookbookError.wrap { () throws(PkgarError) in try Posix.removeTree(path) }
            print("clean \(name) - successful")
        }
    }

    /// Deletes fetched sources (not a recipe's own `source/` folder) and `target/`.
    public func unfetch(_ names: [String], all: Bool = false) throws(CookbookError) {
        for name in names {
            let recipe = try context.catalog.recipe(name)
            try CookbookError.wrap { () throws(PkgarError) in
                switch recipe.source {
                case .existing: break
                case let .tar(_, blake3, _, _):
                    try Posix.removeTree(recipe.directory + "/source")
                    if blake3 == nil || all { try Posix.removeFile(recipe.directory + "/source.tar") }
                default: try Posix.removeTree(recipe.directory + "/source")
                }
                try Posix.removeTree(recipe.directory + "/target")
            }
            print("unfetch \(name) - successful")
        }
    }

    /// Installs built packages (and their runtime dependencies) into `sysroot`, recording them in
    /// `etc/pkg/packages.toml` and `var/lib/packages/` unless `metadata` is false.
    public func push(_ names: [PackageName], sysroot: String, metadata: Bool = true) throws(CookbookError) {
        let plan = try DependencyPlan(requested: names, catalog: context.catalog, withPackageDependencies: true)
        let key = try context.signingKey().publicKey
        let system = InstalledSystem(root: sysroot)
        for unit in plan.order where !unit.isHost {
            let folder = try context.targetDirectory(of: unit)
            guard let stage = try? PackageMetadata.load(folder + "/stage.toml") else {
                throw .io("\(unit.recipe) is not built (no \(folder)/stage.toml): run repo cook first")
            }
            try CookbookError.wrap { () throws(PkgarError) in
                let archive = stage.blake3.isEmpty ? nil : try Package.open(folder + "/stage.pkgar", trustedKey: key)
                if metadata {
                    if let installed = try system.loadState().installed[stage.name], installed.blake3 == stage.blake3, !stage.blake3.isEmpty { return }
                    try system.install(metadata: stage, archive: archive, remote: "local", trustedKey: key,
                                       manual: plan.requested.contains(unit))
                } else {
                    try archive?.extract(to: sysroot)
                }
            }
            print("push \(unit) - successful")
        }
    }

    /// The closure of `names` in build order, with whether each would be rebuilt.
    public func cookList(_ names: [PackageName]) throws(CookbookError) -> [(unit: BuildUnit, cached: Bool)] {
        let plan = try DependencyPlan(requested: names, catalog: context.catalog, withPackageDependencies: false)
        var hashes: [BuildUnit: CookResult] = [:]
        var list: [(BuildUnit, Bool)] = []
        let fetcher = SourceFetcher(context: context)
        for unit in plan.order {
            guard let recipe = plan.recipes[unit.recipe] else { continue }
            let source = try fetcher.fetch(recipe)
            let dependencies = (plan.buildDependencies[unit] ?? []).compactMap { hashes[$0] }
            let builder = UnitBuilder(context: context, recipe: recipe, unit: unit, source: source, dependencies: dependencies)
            let key = try builder.buildKey()
            let folder = BuildCache(directory: context.cacheDirectory).entry(unit: unit, triple: context.triple(of: unit), key: key)
            let cached = (try? Posix.status(folder + "/complete")) != nil
            var packageHashes: [String: String] = [:]
            if cached, let metadata = try? PackageMetadata.load(folder + "/stage.toml") { packageHashes[metadata.name] = metadata.blake3 }
            hashes[unit] = CookResult(unit: unit, status: cached ? .cached : .successful, packageHashes: packageHashes, key: key, error: nil)
            list.append((unit, cached))
        }
        return list
    }
}
