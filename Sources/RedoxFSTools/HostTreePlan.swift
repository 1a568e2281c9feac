/// One entry of a scanned host tree: its name, its `lstat`, and for a directory the entries
/// below it, in the byte order of their names (the order the archive copies them in).
public struct PlannedEntry: Sendable {
    public var name: [UInt8]
    public var status: HostStatus
    /// A directory's entries (empty for everything else).
    public var children: [PlannedEntry]
}

/// What `HostTreeScanner` found, kept so that the archive copies the tree without listing or
/// `stat`-ing it a second time: the tree is walked once, checked while it is read, and nothing
/// is written before the check has passed.
public struct HostTreePlan: Sendable {
    /// The counts and skipped paths.
    public var summary: HostTreeSummary
    /// The entries below the root, in copy order (the image being written is left out).
    public var entries: [PlannedEntry]
}
