// The recipe builder (cookbook.md): recipes, sources, dependency order, sandboxed cached builds,
// packaging and publishing.

/// Namespace of the cookbook's constants.
public enum Cookbook {
    /// The version recorded in cache keys: bump when the build procedure changes its output.
    public static let procedureVersion = "swift-cookbook-1"
}
