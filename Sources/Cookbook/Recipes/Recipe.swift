// recipe.toml (cookbook.md §2): source, build template, package and optional packages.
import Pkgar
import TOMLKit

/// Where a recipe's source comes from.
public enum RecipeSource: Equatable, Sendable {
    /// The recipe's own `source/` folder (no `[source]` table).
    case existing
    /// Another recipe's source (`same_as`, relative recipe directory).
    case sameAs(String)
    /// A host directory copied into `source/` (relative to the recipe); `include` and `exclude`
    /// (our additions) limit the copy to some of its sub-paths and leave others out.
    case path(String, include: [String], exclude: [String])
    /// A git repository (a local path or file URL when offline).
    case git(url: String, branch: String?, rev: String?, patches: [String], script: String?)
    /// A tarball (a local path, file URL, or URL when online) with its BLAKE3.
    case tar(url: String, blake3: String?, patches: [String], script: String?)
}

/// An optional package split from the stage by globs (`[[optional-packages]]`).
public struct OptionalPackage: Equatable, Sendable {
    public let name: String
    public let files: [String]
    public let dependencies: [String]
}

/// A parsed recipe.
public struct Recipe: Sendable {
    /// The recipe's name (its directory's basename).
    public let name: String
    /// Absolute recipe directory.
    public let directory: String
    public let source: RecipeSource
    public let template: Template
    /// Build-time libraries (installed into the sysroot).
    public let buildDependencies: [PackageName]
    /// Build tools (normally `host:` names, installed into the toolchain folder).
    public let devDependencies: [PackageName]
    /// Runtime dependencies.
    public let packageDependencies: [PackageName]
    public let version: String?
    public let description: String?
    public let optionalPackages: [OptionalPackage]

    /// Parses `directory/recipe.toml`.
    public static func load(directory: String) throws(CookbookError) -> Recipe {
        let path = directory + "/recipe.toml"
        let text: String
        do {
            text = try TOMLLoader.readText(path)
        } catch {
            throw .invalidRecipe(path: path, reason: error.located)
        }
        return try Recipe(text: text, directory: directory)
    }

    /// Parses recipe text for the recipe in `directory`.
    public init(text: String, directory: String) throws(CookbookError) {
        let path = directory + "/recipe.toml"
        name = String(directory.split(separator: "/").last ?? Substring(directory))
        self.directory = directory
        do {
            let document = try TOMLDocument(text: text, name: path)
            for key in document.unknownKeys(known: ["source", "build", "package", "optional-packages"]) {
                throw PkgarError.invalidDocument(path: path, reason: "unknown table [\(key)]")
            }
            source = try Recipe.parseSource(document.table("source"), path: path)
            let build = try document.table("build")
            template = try Template.parse(build, path: path)
            buildDependencies = try Recipe.names(build?.strings("dependencies") ?? [], path: path)
            devDependencies = try Recipe.names(build?.strings("dev-dependencies") ?? [], path: path)
            let package = try document.table("package")
            packageDependencies = try Recipe.names(package?.strings("dependencies") ?? [], path: path)
            version = try package?.string("version")
            description = try package?.string("description")
            var optionals: [OptionalPackage] = []
            if let value = document.table["optional-packages"] {
                guard let array = value.array else { throw PkgarError.invalidDocument(path: path, reason: "optional-packages must be an array of tables") }
                for element in array {
                    guard let table = element.table else { throw PkgarError.invalidDocument(path: path, reason: "optional-packages must be an array of tables") }
                    let entry = TOMLDocument(wrapping: table, name: path)
                    guard let name = try entry.string("name"), !name.isEmpty else {
                        throw PkgarError.invalidDocument(path: path, reason: "an optional package needs a name")
                    }
                    optionals.append(OptionalPackage(
                        name: name, files: try entry.strings("files") ?? [],
                        dependencies: try entry.strings("dependencies") ?? []))
                }
            }
            optionalPackages = optionals
        } catch PkgarError.invalidDocument(path, let reason) {
            throw .invalidRecipe(path: path, reason: reason)  // the path once, not twice
        } catch let error as PkgarError {
            throw .invalidRecipe(path: path, reason: error.description)
        } catch let error as CookbookError {
            throw error
        } catch {
            throw .invalidRecipe(path: path, reason: "\(error)")
        }
    }

    private static func names(_ texts: [String], path: String) throws -> [PackageName] {
        var names: [PackageName] = []
        for text in texts {
            do { names.append(try PackageName(text)) } catch {
                throw PkgarError.invalidDocument(path: path, reason: error.description)
            }
        }
        return names
    }

    private static func parseSource(_ table: TOMLDocument?, path: String) throws -> RecipeSource {
        guard let table else { return .existing }
        if let sameAs = try table.string("same_as") { return .sameAs(sameAs) }
        if let directory = try table.string("path") {
            return .path(directory, include: try table.strings("include") ?? [], exclude: try table.strings("exclude") ?? [])
        }
        let patches = try table.strings("patches") ?? []
        let script = try table.string("script")
        if let git = try table.string("git") {
            return .git(url: git, branch: try table.string("branch"), rev: try table.string("rev"), patches: patches, script: script)
        }
        if let tar = try table.string("tar") {
            return .tar(url: tar, blake3: try table.string("blake3"), patches: patches, script: script)
        }
        if table.keys.isEmpty { return .existing }
        throw PkgarError.invalidDocument(path: path, reason: "[source] needs one of same_as, path, git or tar")
    }
}

