// Dependency closure and order (cookbook.md §5): depth-first, each recipe after its build
// dependencies and dev-dependencies (and with package dependencies, after those too), first
// occurrence kept, depth limited to 16. A `host:` recipe's plain dependencies become `host:`.

/// One recipe build: a recipe for the target, or for the host.
public struct BuildUnit: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let recipe: String
    public let isHost: Bool

    public init(recipe: String, isHost: Bool) {
        self.recipe = recipe
        self.isHost = isHost
    }

    public var description: String { (isHost ? "host:" : "") + recipe }
    public static func < (lhs: BuildUnit, rhs: BuildUnit) -> Bool { lhs.description < rhs.description }
}

/// The ordered closure of requested recipes with each unit's build dependencies.
public struct DependencyPlan: Sendable {
    /// Units in a valid build order.
    public private(set) var order: [BuildUnit] = []
    /// Unit → the units it needs built first (build and dev dependencies).
    public private(set) var buildDependencies: [BuildUnit: [BuildUnit]] = [:]
    /// Parsed recipes by name.
    public private(set) var recipes: [String: Recipe] = [:]
    /// Units named on the command line (or by the configuration).
    public let requested: [BuildUnit]

    static let maximumDepth = 16

    /// Expands `requested`; `withPackageDependencies` also pulls runtime dependencies in.
    public init(requested: [PackageName], catalog: RecipeCatalog, withPackageDependencies: Bool) throws(CookbookError) {
        self.requested = requested.map { BuildUnit(recipe: $0.recipe, isHost: $0.isHost) }
        var visiting: [BuildUnit] = []
        for name in requested {
            try visit(BuildUnit(recipe: name.recipe, isHost: name.isHost), catalog: catalog, withPackageDependencies: withPackageDependencies, chain: &visiting)
        }
    }

    private func unit(for name: PackageName, from parent: BuildUnit) -> BuildUnit {
        switch name.prefix {
        case .host?: return BuildUnit(recipe: name.recipe, isHost: true)
        case .target?: return BuildUnit(recipe: name.recipe, isHost: false)
        case nil: return BuildUnit(recipe: name.recipe, isHost: parent.isHost)
        }
    }

    private mutating func visit(_ unit: BuildUnit, catalog: RecipeCatalog, withPackageDependencies: Bool, chain: inout [BuildUnit]) throws(CookbookError) {
        if buildDependencies[unit] != nil { return }
        guard chain.count < DependencyPlan.maximumDepth, !chain.contains(unit) else {
            throw .recursionLimit(chain: (chain + [unit]).map(\.description))
        }
        chain.append(unit)
        defer { chain.removeLast() }
        let recipe: Recipe
        if let known = recipes[unit.recipe] { recipe = known } else { recipe = try catalog.recipe(unit.recipe) }
        recipes[unit.recipe] = recipe
        var needs: [BuildUnit] = []
        for name in recipe.buildDependencies + recipe.devDependencies {
            // `target:` dependencies of a host build are dropped (cookbook.md §1).
            if unit.isHost && name.prefix == .target { continue }
            let dependency = self.unit(for: name, from: unit)
            if dependency == unit { continue }
            try visit(dependency, catalog: catalog, withPackageDependencies: withPackageDependencies, chain: &chain)
            if !needs.contains(dependency) { needs.append(dependency) }
        }
        if withPackageDependencies {
            for name in recipe.packageDependencies where name.recipe != unit.recipe {
                try visit(self.unit(for: name, from: unit), catalog: catalog, withPackageDependencies: true, chain: &chain)
            }
        }
        buildDependencies[unit] = needs
        order.append(unit)
    }

    /// Every unit that depends on `unit`, directly or not (for reporting rebuilds).
    public func dependents(of unit: BuildUnit) -> Set<BuildUnit> {
        var result: Set<BuildUnit> = []
        var changed = true
        while changed {
            changed = false
            for (candidate, needs) in buildDependencies where !result.contains(candidate) {
                if needs.contains(unit) || needs.contains(where: result.contains) {
                    result.insert(candidate)
                    changed = true
                }
            }
        }
        return result
    }
}
