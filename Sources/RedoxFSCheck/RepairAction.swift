/// One change a repair makes. Problems carry the action that would fix them; a repair run collects
/// the actions allowed by its mode (`RepairAction.isSafe`) into a `RepairPlan` and applies them in
/// one copy-on-write commit.
public enum RepairAction: Codable, Sendable, Hashable {
    /// Zero ring slot `slot` (a damaged, misplaced or foreign header that is not the one in use);
    /// done after the repair's header is durable.
    case clearHeaderSlot(slot: UInt64)
    /// Commit a new header generation: it lands in the slot of a torn newest header.
    case rewriteHeader
    /// Write a copy of the newest header as generation `generation` into ring slot `slot` (a hole
    /// in a wrapped ring); done after the repair's header is durable.
    case rewriteHeaderSlot(slot: UInt64, generation: UInt64)
    /// Use the older header of `generation` (whose whole tree verifies) as the base of the repair.
    case fallBackToHeader(slot: UInt64, generation: UInt64)
    /// Set the file-system size to what the device holds (truncated image), after cutting every
    /// file that used blocks past the end.
    case shrinkFileSystem(blocks: UInt64)
    /// Rewrite the allocation log from the blocks reachable from the repaired tree.
    case rebuildAllocator
    /// Recompute the flags of every tree list and free empty ones.
    case rebuildTreeFlags
    /// Set node `node`'s link count.
    case setLinkCount(node: UInt32, links: UInt32)
    /// Set node `node`'s block count (after the node's other repairs).
    case setBlockCount(node: UInt32)
    /// Set directory `node`'s size to 4096 × its blocks.
    case setDirectorySize(node: UInt32)
    /// Zero node fields that must be zero (padding, unknown flags, stale inline bytes).
    case clearNodeFields(node: UInt32)
    /// Rebuild the hash index of directory `node` from its readable entries.
    case rebuildDirectory(node: UInt32)
    /// Remove the entry `name` of directory `directory` (it names nothing usable, or a directory
    /// already reachable elsewhere).
    case dropEntry(directory: UInt32, name: [UInt8])
    /// Remove node `node` from the tree (its block is unreadable or not a node).
    case removeNode(node: UInt32)
    /// Store a new, empty root directory as node 1 (the old one is unreadable, missing or not a
    /// directory); everything it held is reconnected under /lost+found.
    case recreateRoot
    /// Cut file `node` to `size` bytes, before its first unreadable record; named in
    /// `/lost+found/damaged` by the report.
    case truncateFile(node: UInt32, size: UInt64)
    /// Remove the record pointers of `node` beyond its end of file.
    case clearStaleRecords(node: UInt32)
    /// Give orphan `node` a name in `/lost+found`.
    case reconnect(node: UInt32)
    /// Give node `node` its own copies of the blocks it shares with another structure.
    case duplicateBlocks(node: UInt32)

    /// Whether `-p` may apply it: the change loses nothing the user could still read.
    public var isSafe: Bool {
        switch self {
        case .clearHeaderSlot, .rewriteHeader, .rewriteHeaderSlot, .rebuildAllocator, .rebuildTreeFlags, .setLinkCount, .setBlockCount,
             .setDirectorySize, .clearNodeFields, .rebuildDirectory, .dropEntry, .clearStaleRecords, .reconnect, .duplicateBlocks:
            return true
        case .fallBackToHeader, .shrinkFileSystem, .removeNode, .truncateFile, .recreateRoot:
            return false
        }
    }

    /// Whether this is the rewind to an older generation.
    public var isFallBack: Bool {
        if case .fallBackToHeader = self { return true }
        return false
    }

    /// The change in words.
    public var summary: String {
        switch self {
        case .clearHeaderSlot(let slot): return "clear header slot \(slot)"
        case .rewriteHeader: return "write a new header generation"
        case .rewriteHeaderSlot(let slot, let generation): return "rewrite header slot \(slot) as generation \(generation) from the newest header"
        case .fallBackToHeader(let slot, let generation): return "rewind to the intact tree of generation \(generation) (slot \(slot))"
        case .shrinkFileSystem(let blocks): return "shrink the file system to the device (\(blocks) blocks)"
        case .rebuildAllocator: return "rebuild the allocation log from the blocks in use"
        case .rebuildTreeFlags: return "recompute the node tree's flags"
        case .setLinkCount(let node, let links): return "set the link count of node \(node) to \(links)"
        case .setBlockCount(let node): return "recount the blocks of node \(node)"
        case .setDirectorySize(let node): return "set the size of directory \(node) from its blocks"
        case .clearNodeFields(let node): return "zero the reserved fields of node \(node)"
        case .rebuildDirectory(let node): return "rebuild the index of directory \(node)"
        case .dropEntry(let directory, let name): return "remove entry '\(displayName(name))' from directory \(directory)"
        case .removeNode(let node): return "remove node \(node) from the tree"
        case .recreateRoot: return "store a new, empty root directory (node 1)"
        case .truncateFile(let node, let size): return "cut node \(node) to \(size) bytes"
        case .clearStaleRecords(let node): return "drop the records of node \(node) beyond its end"
        case .reconnect(let node): return "reconnect node \(node) under /lost+found"
        case .duplicateBlocks(let node): return "give node \(node) its own copies of the blocks it shares"
        }
    }
}

/// A name's bytes for display: UTF-8 with invalid sequences replaced.
func displayName(_ name: [UInt8]) -> String { String(decoding: name, as: UTF8.self) }
