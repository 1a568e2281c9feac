// Recipe discovery (cookbook.md §1): every folder under recipes/ holding a recipe.toml is a
// recipe named after the folder.
import Pkgar

/// The recipes of a cookbook tree, by name.
public struct RecipeCatalog: Sendable {
    /// Recipe name → absolute recipe folder.
    public private(set) var directories: [String: String] = [:]
    /// Names found more than once (the last one found wins, as upstream).
    public private(set) var duplicates: [String] = []

    /// Walks `root/recipes` (folders named `source`, `target` and dot-folders are not entered).
    public init(root: String) throws(CookbookError) {
        try CookbookError.wrap { () throws(PkgarError) in try scan(root + "/recipes") }
    }

    private mutating func scan(_ directory: String) throws(PkgarError) {
        guard try Posix.status(directory)?.kind == .directory else { return }
        if try Posix.status(directory + "/recipe.toml")?.kind == .regular {
            let name = String(directory.split(separator: "/").last ?? "")
            if directories[name] != nil { duplicates.append(name) }
            directories[name] = directory
        }
        for name in try Posix.directoryEntries(directory) where !name.hasPrefix(".") && name != "source" && name != "target" && name != "source.tmp" {
            let child = directory + "/" + name
            if try Posix.status(child)?.kind == .directory { try scan(child) }
        }
    }

    /// Every recipe name, sorted.
    public var names: [String] { directories.keys.sorted() }

    /// The parsed recipe of `name`.
    public func recipe(_ name: String) throws(CookbookError) -> Recipe {
        guard let directory = directories[name] else { throw .recipeNotFound(name) }
        return try Recipe.load(directory: directory)
    }

    /// Names under `recipes/<category>/`.
    public func names(inCategory category: String) -> [String] {
        names.filter { directories[$0]?.contains("/recipes/" + category + "/") == true }
    }
}
