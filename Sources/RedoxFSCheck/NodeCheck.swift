import RedoxFS

/// The checks of one node (spec §15.1 items 20–23, 26, 28; FIFOs and device nodes are this
/// implementation's node types, see `NodeKind`), then the walk of its content.
enum NodeCheck {
    /// Checks node `id` at `pointer`; `prefetched` is its block as a worker already read it, and
    /// `scan` what the worker found scanning it.
    static func check(
        _ id: UInt32, pointer: BlockPointer, prefetched: NodePrefetcher.Outcome? = nil, scan: NodeScan? = nil,
        context: inout CheckContext
    ) {
        context.nodeOrder.append(id)
        var summary = NodeSummary(state: .unreadable, block: pointer.address.index)
        let remove: RepairAction = id == RedoxFS.rootNodeID ? .recreateRoot : .removeNode(node: id)
        let read = context.read(
            pointer, as: .node, owner: .node(id), where: "node \(id)", fix: remove, prefetched: prefetched)
        // Read in place: the node's 4 KiB block is not decoded into a `Node` (no copies).
        let readView: NodeView?
        switch read {
        case .node(let view): readView = view
        case .bytes(let bytes): readView = NodeView(block: bytes)
        default: readView = nil
        }
        guard let view = readView else {
            context.nodes[id] = summary
            return
        }
        let node = ScannedNode(view: view, scan: scan)
        let block = pointer.address.index
        summary.links = node.links
        summary.size = node.size
        summary.blocks = node.blocks
        guard let kind = node.kind else {
            summary.state = .unknownType
            context.nodes[id] = summary
            context.report(
                .nodeBadType,
                "node \(id) at block \(block) has mode \(octal(node.mode)): type \(hex16(node.mode & Node.modeTypeMask)) is not a directory, file, symlink, socket, FIFO or device",
                block: block, structure: .node, node: id, fix: remove)
            return
        }
        summary.state = .readable
        summary.kind = kind
        switch kind {
        case .directory: context.statistics.directories += 1
        case .file: context.statistics.files += 1
        case .symlink: context.statistics.symlinks += 1
        case .socket: context.statistics.sockets += 1
        case .fifo: context.statistics.fifos += 1
        case .characterDevice, .blockDevice: context.statistics.devices += 1
        }
        if kind.isSpecial, kind.isDevice ? DeviceNumber(inlineContentOf: view) == nil : node.size != 0 {
            context.report(
                .specialNodeContent,
                kind.isDevice ? "device node \(id) does not keep an inline 8-byte device number (size \(node.size))"
                    : "node \(id) (a FIFO or socket) has \(node.size) bytes of content",
                block: block, structure: .node, node: id)
        }

        if !node.paddingIsZero {
            context.report(
                .nodePaddingNonZero, "node \(id): the padding (bytes 74…127) is not zero", block: block, structure: .node,
                node: id, fix: .clearNodeFields(node: id))
        }
        if node.flags & ~Node.inlineDataFlag != 0 {
            context.report(
                .nodeBadFlags, "node \(id) has unknown flags \(hex16(UInt16(truncatingIfNeeded: node.flags)))",
                block: block, structure: .node, node: id, fix: .clearNodeFields(node: id))
        }

        var owned: UInt64? = 0
        if kind == .directory {
            if node.hasInlineData {
                context.report(
                    .directoryInline, "directory node \(id) has the inline-data flag set", block: block, structure: .node,
                    node: id, fix: .clearNodeFields(node: id))
            }
            if node.recordLevel != 0 {
                context.report(
                    .directoryRecordLevel, "directory node \(id) has record level \(node.recordLevel), not 0", block: block,
                    structure: .node, node: id, fix: .clearNodeFields(node: id))
            }
            if !node.directoryExtraPointersAreZero {
                context.report(
                    .directoryExtraPointers, "directory node \(id) uses level pointers beyond level0[1]", block: block,
                    structure: .node, node: id, fix: .clearNodeFields(node: id))
            }
            owned = DirectoryReader.read(id, node: node, context: &context)
        } else if node.recordLevel > 5 {
            context.report(
                .nodeBadRecordLevel, "node \(id) has record level \(node.recordLevel): its content cannot be read",
                block: block, structure: .node, node: id, fix: .truncateFile(node: id, size: 0))
            owned = nil
        } else {
            summary.recordSize = node.recordSize
            summary.recordCount = node.recordCount
            if node.hasInlineData {
                context.statistics.inlineNodes += 1
                if !node.inlineTailIsZero {
                    context.report(
                        .inlineTailNonZero, "node \(id) keeps non-zero inline bytes beyond its size (\(node.size))",
                        block: block, structure: .node, node: id, fix: .clearNodeFields(node: id))
                }
            } else {
                owned = ContentWalker.walk(id, node: node, summary: &summary, context: &context)
            }
        }
        if let owned, node.blocks != 1 + owned {
            context.report(
                .nodeBlockCount, "node \(id) counts \(node.blocks) blocks but owns \(1 + owned) (its node block included)",
                block: block, structure: .node, node: id, fix: .setBlockCount(node: id))
        }
        context.nodes[id] = summary
    }
}

func octal(_ value: UInt16) -> String { "0o" + String(value, radix: 8) }

func hex16(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
