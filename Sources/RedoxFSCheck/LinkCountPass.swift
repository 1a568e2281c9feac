import RedoxFS

/// Pass 4: link counts and orphans (spec §15.1 items 24, 25, 35). Reads the release list (nodes
/// whose zero link count is legitimate), then compares each node's `links` with the entries that
/// name it and reports the tops of subtrees that nothing reachable names.
struct LinkCountPass {
    static func run(_ context: inout CheckContext) throws(CheckError) {
        readReleaseList(&context)
        let orphans = NodeSet(context.orphanRoots, denseIDs: context.denseNodeIDs)
        let total = UInt64(context.nodeOrder.count)
        for (done, id) in context.nodeOrder.enumerated() {
            if done % 256 == 0 { try context.checkCancelled() }
            context.progress(.linkCounts, done: UInt64(done + 1), total: total)
            guard let node = context.nodes[id], node.isUsable else { continue }
            let released = context.releasedNodes.contains(id)
            let references = context.references[id, default: 0]
            if orphans.contains(id), !released {
                context.report(
                    .orphanNode,
                    "node \(id) (\(kindName(node)), \(node.size) bytes, \(node.links) link(s)) is not reachable from the root",
                    block: node.block, structure: .node, node: id, fix: .reconnect(node: id))
                continue
            }
            if released, references > 0 {
                context.report(
                    .releaseEntryInvalid, "node \(id) awaits deletion in the release list but \(references) entries name it",
                    block: node.block, structure: .releaseList, node: id)
            }
            let expected = released ? 0 : references + (id == RedoxFS.rootNodeID ? 1 : 0)
            if node.links != expected {
                context.report(
                    .linkCount, "node \(id) has link count \(node.links), should be \(expected)", block: node.block,
                    structure: .node, node: id, fix: .setLinkCount(node: id, links: expected))
            }
            if node.isDirectory, node.links > 1 {
                context.report(
                    .directoryHardLinked, "directory node \(id) has \(node.links) links (hard-linked directory)",
                    block: node.block, structure: .node, node: id)
            }
        }
    }

    /// Follows the release chain from the header, claiming its blocks.
    private static func readReleaseList(_ context: inout CheckContext) {
        var pointer = context.header.release
        var count = 0
        while !pointer.isNull {
            count += 1
            let read = context.read(
                pointer, as: .releaseList, owner: .releaseList, where: "release list block \(count)", fix: nil)
            guard case .bytes(let bytes) = read else {
                if case .shared = read {
                    context.report(
                        .releaseListCycle,
                        "release list block \(pointer.address.index) is already in use: the chain loops or shares a block",
                        block: pointer.address.index, structure: .releaseList)
                }
                break
            }
            let list = ReleaseList(block: bytes)
            for id in list.nodeIDs {
                if let node = context.nodes[id], node.isUsable {
                    if node.links != 0 {
                        context.report(
                            .releaseEntryInvalid, "the release list names node \(id), which still has \(node.links) link(s)",
                            block: pointer.address.index, structure: .releaseList, node: id)
                    }
                } else {
                    context.report(
                        .releaseEntryInvalid, "the release list names node \(id), which does not exist or cannot be read",
                        block: pointer.address.index, structure: .releaseList)
                }
                context.releasedNodes.insert(id)
            }
            pointer = list.previous
        }
        if count > 1 {
            context.report(
                .releaseListLong, "the release list spans \(count) blocks (the reference mishandles more than one)",
                structure: .releaseList)
        }
    }

    private static func kindName(_ node: NodeSummary) -> String {
        switch node.kind {
        case .directory: return "directory"
        case .file: return "file"
        case .symlink: return "symlink"
        case .socket: return "socket"
        case .fifo: return "FIFO"
        case .characterDevice: return "character device"
        case .blockDevice: return "block device"
        case nil: return "node"
        }
    }
}
