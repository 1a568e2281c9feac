import RedoxFSFormat

/// Every block reachable from the working header, with what uses it: the basis of the space
/// checks (each block used once; free and used never overlap).
public struct BlockUsage: Sendable {
    /// What a block is used for.
    public enum Use: Equatable, Sendable {
        case treeList
        case node(UInt32)
        case content(UInt32)
        case allocList
        case releaseList
    }

    /// Users of each block index (more than one entry means a block used twice).
    public private(set) var users: [UInt64: [Use]] = [:]

    mutating func add(_ pointer: BlockPointer, _ use: Use) {
        let address = pointer.address
        for offset in 0..<address.blockCount { users[address.index + offset, default: []].append(use) }
    }

    /// Blocks with more than one user.
    public var sharedBlocks: [UInt64] { users.filter { $0.value.count > 1 }.keys.sorted() }
}

extension FileSystem {
    /// Walks every structure reachable from the working header.
    public func blockUsage() throws(FileSystemError) -> BlockUsage {
        try lock.locked { () throws(FileSystemError) in
            var usage = BlockUsage()
            try withReader { (reader) throws(FormatError) in
                var pointer = working.alloc
                var guardCount = 0
                while !pointer.isNull, guardCount < 1 << 20 {
                    usage.add(pointer, .allocList)
                    pointer = AllocList(block: try reader.reader.read(pointer, as: .allocList)).previous
                    guardCount += 1
                }
                pointer = working.release
                guardCount = 0
                while !pointer.isNull, guardCount < 1 << 20 {
                    usage.add(pointer, .releaseList)
                    pointer = ReleaseList(block: try reader.reader.read(pointer, as: .releaseList)).previous
                    guardCount += 1
                }
                try walkTree(working.tree, level: 3, prefix: 0, reader: &reader, usage: &usage)
            }
            return usage
        }
    }

    private func walkTree(
        _ pointer: BlockPointer, level: Int, prefix: UInt32, reader: inout FileSystemReader<CachedBlockReader>,
        usage: inout BlockUsage
    ) throws(FormatError) {
        guard !pointer.isNull else { return }
        usage.add(pointer, .treeList)
        let list = TreeList(block: try reader.reader.read(pointer, as: .treeList))
        for (i, child) in list.pointers.enumerated() where !child.isNull {
            let id = prefix | UInt32(i) << (8 * UInt32(level))
            if level > 0 {
                try walkTree(child, level: level - 1, prefix: id, reader: &reader, usage: &usage)
            } else {
                usage.add(child, .node(id))
                let node = Node(block: try reader.reader.read(child, as: .node))
                try walkContent(of: node, id: id, reader: &reader, usage: &usage)
            }
        }
    }

    private func walkContent(
        of node: Node, id: UInt32, reader: inout FileSystemReader<CachedBlockReader>, usage: inout BlockUsage
    ) throws(FormatError) {
        if node.hasInlineData { return }
        if node.isDirectory {
            let marker = node.levelPointer(0)
            guard marker.isMarker else { return }
            try walkDirectory(node.levelPointer(1), depth: Int(marker.markerDepth), id: id, reader: &reader, usage: &usage)
            return
        }
        for slot in 0..<248 {
            let pointer = node.levelPointer(slot)
            guard !pointer.isNull else { continue }
            let depth = RecordPath.tiers.last { $0.first <= slot }?.depth ?? 0
            try walkRecords(pointer, depth: depth, id: id, reader: &reader, usage: &usage)
        }
    }

    private func walkRecords(
        _ pointer: BlockPointer, depth: Int, id: UInt32, reader: inout FileSystemReader<CachedBlockReader>,
        usage: inout BlockUsage
    ) throws(FormatError) {
        usage.add(pointer, .content(id))
        guard depth > 0 else { return }
        for child in BlockList(block: try reader.reader.read(pointer, as: .blockList)).pointers where !child.isNull {
            try walkRecords(child, depth: depth - 1, id: id, reader: &reader, usage: &usage)
        }
    }

    private func walkDirectory(
        _ pointer: BlockPointer, depth: Int, id: UInt32, reader: inout FileSystemReader<CachedBlockReader>,
        usage: inout BlockUsage
    ) throws(FormatError) {
        usage.add(pointer, .content(id))
        guard depth > 0 else { return }
        for slot in HTreeNode(block: try reader.reader.read(pointer, as: .hTreeNode)).slots {
            try walkDirectory(slot.pointer, depth: depth - 1, id: id, reader: &reader, usage: &usage)
        }
    }
}
