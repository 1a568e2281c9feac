import RedoxFS

/// The walk of the namespace for pass 3: from the root, then from the tops of the orphaned
/// subtrees. Each directory is entered once; a second entry naming a directory is refused (a cycle
/// when the directory is an ancestor, else a directory reachable twice). Accepted entries are the
/// references that pass 4 compares with the link counts.
struct Namespace {
    private(set) var reached: NodeSet
    private var enteredDirectories: NodeSet

    init(denseNodeIDs: Int) {
        reached = NodeSet(denseIDs: denseNodeIDs)
        enteredDirectories = NodeSet(denseIDs: denseNodeIDs)
    }

    /// Walks everything reachable from `start` that was not reached before.
    mutating func traverse(from start: UInt32, context: inout CheckContext) {
        guard let node = context.nodes[start], node.isUsable, reached.insert(start).inserted else { return }
        var stack: [UInt32] = []
        if node.isDirectory {
            enteredDirectories.insert(start)
            stack.append(start)
        }
        while let directory = stack.popLast() {
            guard let image = context.directories[directory] else { continue }
            for entry in image.entries {
                let target = entry.nodeID
                guard let node = context.nodes[target] else {
                    context.report(
                        .danglingEntry,
                        "directory \(directory): entry '\(displayName(entry.name))' names node \(target), which does not exist",
                        structure: .dirList, node: directory, fix: .dropEntry(directory: directory, name: entry.name))
                    continue
                }
                guard node.isUsable else {
                    if context.parents[target] == nil { context.parents[target] = (directory, entry.name) }
                    context.report(
                        .entryToUnreadableNode,
                        "directory \(directory): entry '\(displayName(entry.name))' names node \(target), which cannot be read",
                        structure: .dirList, node: directory, fix: .dropEntry(directory: directory, name: entry.name))
                    continue
                }
                if node.isDirectory {
                    if enteredDirectories.contains(target) {
                        refuse(entry, in: directory, target: target, context: &context)
                        continue
                    }
                    enteredDirectories.insert(target)
                    stack.append(target)
                }
                context.references[target, default: 0] += 1
                if target != RedoxFS.rootNodeID, context.parents[target] == nil {
                    context.parents[target] = (directory, entry.name)
                }
                reached.insert(target)
            }
        }
    }

    /// A second entry naming an entered directory.
    private func refuse(_ entry: DirectoryEntry, in directory: UInt32, target: UInt32, context: inout CheckContext) {
        let name = displayName(entry.name)
        var current = directory
        var steps = 0
        var isAncestor = current == target
        while !isAncestor, let parent = context.parents[current], steps < enteredDirectories.count {
            current = parent.directory
            isAncestor = current == target
            steps += 1
        }
        if isAncestor {
            context.report(
                .directoryCycle, "directory \(directory): entry '\(name)' names directory \(target), one of its ancestors: a cycle",
                structure: .dirList, node: directory, fix: .dropEntry(directory: directory, name: entry.name))
        } else {
            context.report(
                .directoryReachableTwice,
                "directory \(directory): entry '\(name)' names directory \(target), already reachable elsewhere (\(context.path(of: target)))",
                structure: .dirList, node: directory, fix: .dropEntry(directory: directory, name: entry.name))
        }
    }

    /// Finds the tops of the subtrees not reachable from the root: nodes no unreached directory
    /// names, then (for cycles of orphaned directories) the lowest remaining directory, until every
    /// usable node is reached.
    mutating func collectOrphans(context: inout CheckContext) {
        let unreached = context.nodeOrder.filter { !reached.contains($0) && context.nodes[$0]?.isUsable == true }
        guard !unreached.isEmpty else { return }
        var namedByUnreached: [UInt32: Int] = [:]
        for id in unreached {
            guard let image = context.directories[id] else { continue }
            for entry in image.entries { namedByUnreached[entry.nodeID, default: 0] += 1 }
        }
        for id in unreached where namedByUnreached[id] == nil && !reached.contains(id) {
            context.orphanRoots.append(id)
            traverse(from: id, context: &context)
        }
        for id in unreached where !reached.contains(id) && context.nodes[id]?.isDirectory == true {
            context.orphanRoots.append(id)
            traverse(from: id, context: &context)
        }
        for id in unreached where !reached.contains(id) {
            context.orphanRoots.append(id)
            traverse(from: id, context: &context)
        }
    }
}
