/// The fixes for a list of problems, deduplicated and in the order a repair applies them: first
/// what decides the base (header, size) and the node tree, then removals, rebuilt directories and
/// cut files, then reconnected orphans and counters, and last the allocation log and the header ring.
public struct RepairPlan: Sendable, Equatable {
    public private(set) var actions: [RepairAction]

    public init(problems: [Problem]) {
        self.init(fixes: problems.compactMap(\.fix))
    }

    /// The plan for `fixes` (in the order found; duplicates are dropped).
    public init(fixes: [RepairAction]) {
        var seen: Set<RepairAction> = []
        var cuts: [UInt32: UInt64] = [:]
        var ordered: [RepairAction] = []
        for action in fixes {
            if case .truncateFile(let node, let size) = action {
                cuts[node] = min(cuts[node] ?? size, size)
                continue
            }
            if seen.insert(action).inserted { ordered.append(action) }
        }
        for (node, size) in cuts { ordered.append(.truncateFile(node: node, size: size)) }
        actions = ordered.enumerated().sorted { left, right in
            let (a, b) = (Self.rank(left.element), Self.rank(right.element))
            return a != b ? a < b : left.offset < right.offset
        }.map(\.element)
    }

    /// The actions a run in `mode` may apply.
    public func allowed(in mode: RepairMode) -> [RepairAction] {
        switch mode {
        case .none: return []
        case .preen: return actions.filter(\.isSafe)
        case .all: return actions
        }
    }

    private static func rank(_ action: RepairAction) -> Int {
        switch action {
        case .fallBackToHeader: return 0
        case .shrinkFileSystem: return 1
        case .rebuildTreeFlags: return 2
        case .removeNode, .recreateRoot: return 3
        case .dropEntry: return 4
        case .rebuildDirectory: return 5
        case .truncateFile: return 6
        case .clearStaleRecords: return 7
        case .duplicateBlocks: return 8
        case .clearNodeFields: return 9
        case .reconnect: return 10
        case .setLinkCount: return 11
        case .setBlockCount: return 12
        case .setDirectorySize: return 13
        case .rebuildAllocator: return 14
        case .rewriteHeader: return 15
        case .clearHeaderSlot: return 16
        case .rewriteHeaderSlot: return 17
        }
    }
}
