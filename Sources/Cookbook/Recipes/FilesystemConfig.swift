// The recipe list of an installer configuration (`--filesystem=`): the `[packages]` table after
// merging `include`d files (installer.md §1.1), without the packages whose rule is "ignore".
import Foundation
import Pkgar
import TOMLKit

/// The packages an installer configuration asks for.
public struct FilesystemConfig: Sendable {
    /// Package name → rule ("" for a table value, else the rule string).
    public private(set) var packages: [String: String] = [:]

    public init(path: String) throws(CookbookError) {
        try merge(path, depth: 0)
    }

    private mutating func merge(_ path: String, depth: Int) throws(CookbookError) {
        guard depth < 32 else { throw .invalidConfig(path: path, reason: "include nesting deeper than 32 (a cycle?)") }
        let document: TOMLDocument
        do {
            document = try TOMLDocument.load(path)
        } catch {
            throw .invalidConfig(path: path, reason: error.description)
        }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            for include in try document.strings("include") ?? [] {
                try merge(include.hasPrefix("/") ? include : (directory.isEmpty ? include : directory + "/" + include), depth: depth + 1)
            }
            if let table = try document.table("packages") {
                for name in table.keys {
                    if let rule = table.table[name]?.string { packages[name] = rule }
                    else if table.table[name]?.table != nil { packages[name] = "" }
                    else { throw CookbookError.invalidConfig(path: path, reason: "packages.\(name) must be a table or a rule string") }
                }
            }
        } catch let error as CookbookError {
            throw error
        } catch let error as PkgarError {
            throw .invalidConfig(path: path, reason: error.description)
        } catch {
            throw .invalidConfig(path: path, reason: "\(error)")
        }
    }

    /// The names to build: every package whose rule is not "ignore", sorted.
    public var recipeNames: [String] { packages.filter { $0.value != "ignore" }.keys.sorted() }
}
