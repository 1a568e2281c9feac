import RedoxFSFormat

/// Reading node blocks ahead of lookups and listings. On a cold cache every lookup of a file
/// otherwise reads its node block on its own (a `stat` of each file of a directory is one read
/// per file). The nodes a directory leaf names were mostly made together and lie near each
/// other, so they are read in a few large reads instead; each block is still verified against
/// its pointer before it is kept, as any other read.
extension FileSystemEngine {
    /// At most this many nodes are read ahead for one lookup or listing call.
    static var nodeReadAheadCount: Int { 64 }
    /// Two node blocks at most this many blocks apart are read in one device read (the blocks
    /// between, typically small files' records, come along: a disk reads 128 KiB about as fast
    /// as 4 KiB, and the kernel's own readahead would read them too).
    static var nodeReadAheadGap: UInt64 { 32 }
    /// One device read spans at most this many blocks (1 MiB).
    static var nodeReadAheadSpan: UInt64 { 256 }
    /// One call reads at most this many blocks in all (2 MiB).
    static var nodeReadAheadBudget: Int { 512 }

    /// The node `name` names in directory `directory` (node `directoryNode`, as read under
    /// the same lock), with its id, or nil. When the node is not cached, the nodes of the next
    /// entries of the same directory leaf are read ahead with it (`readNodesAhead`), so that
    /// looking up every name in turn reads their nodes in a few large reads.
    public func findNode(_ name: [UInt8], in directoryNode: Node) throws(FileSystemError) -> (id: UInt32, node: Node)? {
        try lock.sharedLocked { () throws(FileSystemError) in
            let found = try withReader { (reader) throws(FormatError) in try reader.findWithLeaf(name, in: directoryNode) }
            guard let found else { return nil }
            let pointer = try knownNodePointer(found.id)
            if let node = cache.node(pointer.address.index, hash: pointer.hash) { return (found.id, node) }
            if cache.lookup(pointer.address.index, hash: pointer.hash) == nil {
                var following: [UInt32] = []
                var reached = false
                _ = try? DirList.scan(found.leaf, at: found.block) { (id, _, _) in
                    if id == found.id { reached = true }
                    if reached { following.append(id) }
                    return following.count < Self.nodeReadAheadCount
                }
                readNodesAhead(following)
            }
            return (found.id, try withReader { (reader) throws(FormatError) in try reader.node(at: pointer) })
        }
    }

    /// Node `id`'s pointer in the working tree, from the cache or walked (and then remembered).
    func knownNodePointer(_ id: UInt32) throws(FileSystemError) -> BlockPointer {
        let tree = working.tree
        if let pointer = cache.nodePointer(id, tree: tree) { return pointer }
        let pointer = try withReader { (reader) throws(FormatError) in try reader.nodePointer(id) }
        cache.rememberNodePointer(pointer, id: id, tree: tree)
        return pointer
    }

    /// Reads ahead the blocks of those of nodes `ids` (the first `nodeReadAheadCount`) that are
    /// not cached, for a listing about to hand out their attributes. Best effort: what is not
    /// read ahead is read when asked for, and reports its error then.
    public func readNodesAhead(of ids: [UInt32]) {
        lock.sharedLocked {
            guard !closed else { return }
            readNodesAhead(ids.count > Self.nodeReadAheadCount ? Array(ids[..<Self.nodeReadAheadCount]) : ids)
        }
    }

    /// Reads the node blocks of `ids` that are not cached, those near each other together: one
    /// device read per run of blocks at most `nodeReadAheadGap` apart and `nodeReadAheadSpan`
    /// long, `nodeReadAheadBudget` blocks in all. A node far from every other is left to be read
    /// when asked for (reading it ahead would save nothing). Each node block is decrypted and
    /// checked against its pointer's hash, then kept in the block cache and decoded in the node
    /// cache; a failed read or check keeps nothing. Runs holding the lock shared: it changes only
    /// the cache.
    func readNodesAhead(_ ids: [UInt32]) {
        var wanted = uncachedNodePointers(ids)
        guard wanted.count > 1 else { return }
        wanted.sort { $0.address.index < $1.address.index }
        var budget = Self.nodeReadAheadBudget
        var start = 0
        while start < wanted.count && budget > 0 {
            let first = wanted[start].address.index
            var end = start + 1
            while end < wanted.count {
                let index = wanted[end].address.index
                guard index - wanted[end - 1].address.index <= Self.nodeReadAheadGap,
                      index - first < Self.nodeReadAheadSpan, Int(index - first) < budget else { break }
                end += 1
            }
            if end - start > 1 {
                readNodeRun(wanted[start..<end])
                budget -= Int(wanted[end - 1].address.index - first) + 1
            }
            start = end
        }
    }

    /// The pointers of the nodes of `ids` whose blocks are not cached. The ids of a leaf are
    /// mostly neighbours, which share the lowest TreeList: it is read once for all of them
    /// (the nodes' pointers are read in place from it), not walked to again for each node.
    private func uncachedNodePointers(_ ids: [UInt32]) -> [BlockPointer] {
        let tree = working.tree
        var result: [BlockPointer] = []
        result.reserveCapacity(ids.count)
        var lowest: (key: UInt32, bytes: [UInt8]?) = (.max, nil)
        for id in ids {
            var pointer = cache.nodePointer(id, tree: tree)
            if pointer == nil {
                let nodeID = NodeID(id)
                guard nodeID.isAddressable else { continue }
                if lowest.key != id >> 8 {
                    lowest = (id >> 8, try? withReader { (reader) throws(FormatError) in try reader.lowestTreeList(of: id) })
                }
                guard let bytes = lowest.bytes else { continue }
                let found = TreeList.pointer(in: bytes, at: nodeID.index(atLevel: 0))
                guard !found.isNull else { continue }
                cache.rememberNodePointer(found, id: id, tree: tree)
                pointer = found
            }
            guard let pointer, pointer.address.blockCount == 1,
                  (try? checkPointer(pointer, as: .node, blockCount: working.blockCount)) != nil else { continue }
            let index = pointer.address.index
            if cache.node(index, hash: pointer.hash) != nil || cache.lookup(index, hash: pointer.hash) != nil { continue }
            result.append(pointer)
        }
        return result
    }

    /// Reads the blocks from the first of `run` to its last in one device read and keeps each
    /// node block of `run` that passes its check.
    private func readNodeRun(_ run: ArraySlice<BlockPointer>) {
        guard let firstPointer = run.first, let lastPointer = run.last else { return }
        let first = firstPointer.address.index
        let count = Int(lastPointer.address.index - first) + 1
        var device = self.device
        guard let span = try? device.readBlocks(at: startBlock + first, count: count) else { return }
        let size = RedoxFS.blockSize
        for pointer in run {
            let offset = Int(pointer.address.index - first) * size
            var block = Array(span[offset..<offset + size])
            let verified = block.withUnsafeMutableBufferPointer { buffer in
                // The format's `verifyBlock`, hashed with the providers' SeaHash.
                decryptBlock(buffer, of: pointer, cipher: cipher)
                return (try? verifyHash(providers.seaHash(UnsafeBufferPointer(buffer)), of: pointer, as: .node)) != nil
            }
            guard verified else { continue }
            // Kept as any read of a node keeps it: the block, and the node decoded and checked.
            cache.insert(pointer.address.index, block, hash: pointer.hash)
            let node = Node(block: block)
            if (try? node.validate(block: pointer.address.index)) != nil {
                cache.rememberNode(node, index: pointer.address.index, hash: pointer.hash)
            }
        }
    }
}
