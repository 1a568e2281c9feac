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

extension FileSystemEngine {
    /// Walks every structure reachable from the working header (the shared walk,
    /// `ReachableBlocks`); throws at the first block that cannot be read.
    public func blockUsage() throws(FileSystemError) -> BlockUsage {
        try lock.locked { () throws(FileSystemError) in
            var visitor = UsageVisitor(reader: reader.reader)
            do throws(FormatError) {
                try ReachableBlocks.walkAllocationLog(working.alloc, visitor: &visitor)
                try ReachableBlocks.walkReleaseList(working.release, visitor: &visitor)
                try ReachableBlocks.walkTree(working.tree, visitor: &visitor)
            } catch {
                throw .format(error)
            }
            return visitor.usage
        }
    }
}

/// Records the use of every block the walk reaches, reading what holds pointers.
private struct UsageVisitor<Device: StorageDevice, Cipher: XTSCipher>: BlockVisitor {
    /// Longest log or release chain followed (a loop in a damaged chain ends here).
    static var chainLimit: Int { 1 << 20 }

    var reader: CachedBlockReader<Device, Cipher>
    var usage = BlockUsage()

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) throws(FormatError) -> [UInt8]? {
        let use: BlockUsage.Use
        switch role {
        case .treeList: use = .treeList
        case .node(let id): use = .node(id)
        case .blockList(let id, _, _), .record(let id, _), .directoryIndex(let id, _), .directoryLeaf(let id): use = .content(id)
        case .allocList(let position):
            guard position < Self.chainLimit else { return nil }
            use = .allocList
        case .releaseList(let position):
            guard position < Self.chainLimit else { return nil }
            use = .releaseList
        }
        usage.add(pointer, use)
        switch role {
        case .record, .directoryLeaf: return nil
        default: return try reader.read(pointer, as: role.structure)
        }
    }
}
