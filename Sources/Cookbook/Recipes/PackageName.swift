// Package names (cookbook.md §1): `recipe`, `recipe.opt`, `host:recipe`, `target:recipe`.

/// A validated package name.
public struct PackageName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `host:` or `target:` when given.
    public enum Prefix: String, Sendable { case host, target }

    public let prefix: Prefix?
    /// The recipe part.
    public let recipe: String
    /// The optional-package suffix (after the `.`), if any.
    public let optional: String?

    public init(_ text: String) throws(CookbookError) {
        guard !text.isEmpty else { throw .invalidPackageName(text, reason: "empty") }
        guard !text.contains("/"), !text.contains("\0") else { throw .invalidPackageName(text, reason: "contains / or NUL") }
        var rest = Substring(text)
        var prefix: Prefix?
        let colons = text.filter { $0 == ":" }.count
        guard colons <= 1 else { throw .invalidPackageName(text, reason: "more than one ':'") }
        if colons == 1 {
            if rest.hasPrefix("host:") { prefix = .host; rest = rest.dropFirst(5) }
            else if rest.hasPrefix("target:") { prefix = .target; rest = rest.dropFirst(7) }
            else { throw .invalidPackageName(text, reason: "a ':' must follow host or target") }
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw .invalidPackageName(text, reason: "more than one '.'") }
        self.prefix = prefix
        recipe = String(parts[0])
        optional = parts.count == 2 ? String(parts[1]) : nil
        guard !recipe.isEmpty || optional != nil else { throw .invalidPackageName(text, reason: "empty recipe name") }
    }

    init(prefix: Prefix?, recipe: String, optional: String?) {
        self.prefix = prefix
        self.recipe = recipe
        self.optional = optional
    }

    public var isHost: Bool { prefix == .host }

    /// The same name built for the host.
    public var host: PackageName { PackageName(prefix: .host, recipe: recipe, optional: optional) }
    /// The name without a prefix (and without `target:`).
    public var withoutPrefix: PackageName { PackageName(prefix: nil, recipe: recipe, optional: optional) }
    /// The mandatory package of the same recipe.
    public var mandatory: PackageName { PackageName(prefix: prefix, recipe: recipe, optional: nil) }

    public var description: String {
        (prefix.map { $0.rawValue + ":" } ?? "") + recipe + (optional.map { "." + $0 } ?? "")
    }

    public static func < (lhs: PackageName, rhs: PackageName) -> Bool { lhs.description < rhs.description }
}
