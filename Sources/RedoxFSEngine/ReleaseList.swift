import RedoxFSFormat

/// Open-file tracking and the on-disk release list of unlinked-but-open nodes (spec §11.7).
/// Unlike upstream, the chain is rewritten whole, so it is never mis-linked.
extension FileSystemEngine {
    /// Records that node `id` is open (a file handle).
    public func retain(_ id: UInt32) {
        // One change that cannot fail: alone it needs no undo, and inside an operation the
        // operation's undo covers it (open counts are part of the transaction's state).
        lock.locked { openCounts[id, default: 0] += 1 }
    }

    /// Records that a handle on node `id` was closed; the last close of an unlinked node deletes it.
    public func releaseHandle(_ id: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            guard let count = openCounts[id] else { return }
            if count > 1 {
                openCounts[id] = count - 1
                return
            }
            openCounts[id] = nil
            guard isWritable, let node = try? loadNode(id), node.links == 0 else { return }
            useReserve()
            try removeFromReleaseList(id)
            try deleteNode(id, node)
        }
    }

    /// The ids in the release list, newest block first.
    public func releaseListIDs() throws(FileSystemError) -> [UInt32] {
        try lock.sharedLocked { () throws(FileSystemError) in try releaseChain().flatMap { $0.list.nodeIDs } }
    }

    func releaseChain() throws(FileSystemError) -> [(pointer: BlockPointer, list: ReleaseList)] {
        var chain: [(pointer: BlockPointer, list: ReleaseList)] = []
        var pointer = working.release
        var seen: Set<UInt64> = []
        try withReader { (reader) throws(FormatError) in
            while !pointer.isNull, seen.insert(pointer.address.index).inserted {
                let list = ReleaseList(block: try reader.reader.read(pointer, as: .releaseList))
                chain.append((pointer, list))
                pointer = list.previous
            }
        }
        return chain
    }

    /// Replaces the chain with one holding `ids` (1020 per block, oldest first).
    func writeReleaseList(_ ids: [UInt32], replacing chain: [(pointer: BlockPointer, list: ReleaseList)]) throws(FileSystemError) {
        var previous = BlockPointer.null
        var start = 0
        while start < ids.count {
            let end = min(ids.count, start + ReleaseList.entryCount)
            previous = try writeBlock(ReleaseList(previous: previous, nodeIDs: Array(ids[start..<end])).encode())
            start = end
        }
        for block in chain { free(block.pointer.address) }
        working.release = previous
    }

    func addToReleaseList(_ id: UInt32) throws(FileSystemError) {
        let chain = try releaseChain()
        let ids = chain.reversed().flatMap { $0.list.nodeIDs }
        guard !ids.contains(id) else { return }
        try writeReleaseList(ids + [id], replacing: chain)
    }

    func removeFromReleaseList(_ id: UInt32) throws(FileSystemError) {
        let chain = try releaseChain()
        let ids = chain.reversed().flatMap { $0.list.nodeIDs }
        guard ids.contains(id) else { return }
        try writeReleaseList(ids.filter { $0 != id }, replacing: chain)
    }

    /// What upstream does at mount and unmount: delete the nodes of the release list that are not
    /// open, then commit with a squashed allocation log.
    public func cleanup() throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            try requireWritable()
            useReserve()
            let chain = try releaseChain()
            var kept: [UInt32] = []
            for id in chain.reversed().flatMap({ $0.list.nodeIDs }) {
                if openCounts[id, default: 0] > 0 { kept.append(id); continue }
                if let node = try? loadNode(id), node.links == 0 { try deleteNode(id, node) }
            }
            if !chain.isEmpty { try writeReleaseList(kept, replacing: chain) }
            requestCommit(squash: true)
        }
    }

    /// Cleans up, commits and closes the device: the end of a writable session.
    public func unmount() throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            try requireOutermost("unmount")
            if isWritable {
                // An overlapped commit's header first: a failing cleanup must not lose it.
                try writePendingHeaderLocked()
                try transaction { () throws(FileSystemError) in
                    openCounts.removeAll()
                    try cleanup()
                }
                try writePendingHeaderLocked()
            }
            close()
        }
    }
}
