import RedoxFS

/// One finding of a check: what is wrong, where, and what a repair would do about it.
public struct Problem: Codable, Sendable, Equatable {
    public var code: ProblemCode
    /// The table's severity, or a warning where the damage only touches what readers ignore
    /// (a stale record beyond the end of a file).
    public var severity: Severity
    public var pass: CheckPass
    /// The finding in words, naming the structure and block.
    public var message: String
    /// File-system block (relative to the start) where it was found, when there is one.
    public var block: UInt64?
    /// Number of blocks concerned, for extents (leaks, blocks used twice).
    public var blockCount: UInt64?
    /// The structure concerned ("node", "tree list", "data record", …), when there is one.
    public var structure: String?
    /// The node concerned, when there is one.
    public var node: UInt32?
    /// The node's path (filled in once directories are known); orphans show `<orphan node N>`.
    public var path: String?
    /// The header ring slot concerned (pass 1).
    public var slot: UInt64?
    /// The change a repair would make; nil when the problem is only reported.
    public var fix: RepairAction?
    /// Whether the fix was carried out.
    public var fixed: Bool

    public init(
        _ code: ProblemCode, _ message: String, block: UInt64? = nil, blockCount: UInt64? = nil,
        structure: Structure? = nil, node: UInt32? = nil, slot: UInt64? = nil, fix: RepairAction? = nil,
        severity: Severity? = nil
    ) {
        let definition = ProblemTable.definition(code)
        self.code = code
        self.severity = severity ?? definition.severity
        pass = definition.pass
        self.message = message
        self.block = block
        self.blockCount = blockCount
        self.structure = structure?.name
        self.node = node
        self.slot = slot
        self.fix = fix
        fixed = false
    }
}
