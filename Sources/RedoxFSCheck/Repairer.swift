#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Carries out the allowed fixes of a check in one copy-on-write commit through the engine's repair
/// primitives. The allocation log is always rebuilt from what the repaired tree uses; new blocks
/// only come from blocks the damaged header does not use, so a crash before the new header is
/// written leaves the file system exactly as it was.
struct Repairer {
    /// What a repair run did.
    struct Outcome {
        var applied: [RepairAction] = []
        /// Fixes that could not be carried out, with the reason.
        var failures: [String] = []
        /// Paths of files cut at an unreadable record, with their new size.
        var cutFiles: [String] = []
        /// Names given to reconnected orphans.
        var reconnected: [String] = []
    }

    let context: CheckContext
    let keys: DataKeys?
    var outcome = Outcome()

    init(context: CheckContext, keys: DataKeys?) {
        self.context = context
        self.keys = keys
    }

    /// Applies `actions` (already filtered by the repair mode) and commits a header of the
    /// generation after `newestGeneration` (so that a rewind keeps the ring monotonic). `protected`
    /// are blocks the newest header uses (when rewinding to an older one): never overwritten either,
    /// so that a crash before the new header leaves the image as it was.
    mutating func run(
        _ actions: [RepairAction], device: any StorageDevice, protecting protected: [Range<UInt64>],
        ring: [HeaderSlotReport], writtenAfter newestGeneration: UInt64
    ) throws(CheckError) -> Outcome {
        var blocks = context.blockCount
        for case .shrinkFileSystem(let size) in actions { blocks = min(blocks, size) }
        guard blocks >= RedoxFS.minimumBlocks else {
            throw .repairFailed("the file system would have \(blocks) blocks, fewer than the \(RedoxFS.minimumBlocks) it needs")
        }
        let oldUse = merge(usedByOldHeader(limit: blocks) + protected.map { $0.clamped(to: 0..<blocks) })
        let initialFree = complement(of: oldUse, within: RedoxFS.headerRing + 1..<blocks)
        let freeBlocks = initialFree.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        // The fixes leave free what the commit's new allocation log needs (it can only go to blocks
        // neither tree uses). The first reserve covers the log of the free space as it is; when
        // the fixes leave too little (they fragment the free space and release old blocks, which
        // adds entries), they are made again, from scratch, with a doubled reserve: fewer fixes,
        // but a commit. Nothing reaches the device before a commit has found its log blocks.
        var reserve = FileSystem.repairCommitLogBlocks(free: initialFree, releasing: [])
        while true {
            outcome = Outcome()
            do {
                let fs = try applyAndCommit(
                    actions, device: device, blocks: blocks, oldUse: oldUse, initialFree: initialFree,
                    writtenAfter: newestGeneration, reserve: reserve)
                finishRingRepairs(actions, fs: fs)
                return outcome
            } catch where error.errno == ENOSPC && reserve < freeBlocks {
                // The failed attempt's session is dropped here, not closed: it wrote nothing, and
                // closing it would close `device`, which the next attempt and the caller share.
                reserve = min(freeBlocks, reserve * 2)
            } catch {
                throw .repairFailed("the commit failed, nothing was changed: \(error)")
            }
        }
    }

    /// One attempt: opens the repair session with `reserve` blocks held back for the commit,
    /// applies the fixes (each one that fails is noted and undone) and commits.
    private mutating func applyAndCommit(
        _ actions: [RepairAction], device: any StorageDevice, blocks: UInt64, oldUse: [Range<UInt64>],
        initialFree: [Range<UInt64>], writtenAfter newestGeneration: UInt64, reserve: UInt64
    ) throws(FileSystemError) -> FileSystem {
        let fs = FileSystem.openForRepair(
            device: device, header: context.header, startBlock: context.startBlock, keys: keys, freeExtents: initialFree,
            writtenAfter: newestGeneration, commitReserve: reserve)

        if blocks != context.blockCount {
            fs.repairSetBlockCount(blocks)
            note(actions.filter { if case .shrinkFileSystem = $0 { return true } else { return false } })
        }
        let removals = actions.compactMap { action -> UInt32? in
            if case .removeNode(let id) = action { return id } else { return nil }
        }
        if actions.contains(.rebuildTreeFlags) || !removals.isEmpty {
            // Unreadable nodes go only when their removal is allowed (-y).
            let dropping = !removals.isEmpty || actions.contains(.recreateRoot)
            attempt(.rebuildTreeFlags) { () throws(FileSystemError) in try fs.repairRebuildNodeTree(droppingNodes: dropping) }
            for id in removals {
                attempt(.removeNode(node: id)) { () throws(FileSystemError) in
                    if (try? fs.node(id)) != nil { try fs.repairRemoveNode(id) }
                }
            }
        }
        if actions.contains(.recreateRoot) {
            attempt(.recreateRoot) { () throws(FileSystemError) in try fs.repairRecreateRoot() }
        }
        rebuildDirectories(actions, fs: fs)
        var recount: Set<UInt32> = []
        for action in actions {
            switch action {
            case .truncateFile(let id, let size):
                guard let summary = context.nodes[id] else { continue }
                let keep = size / summary.recordSize
                let done = attempt(action) { () throws(FileSystemError) in
                    try fs.repairCutRecords(id, keeping: keep)
                    try fs.repairChangeNode(id) { $0.size = min($0.size, size) }
                }
                if done { outcome.cutFiles.append("\(context.path(of: id)) cut to \(size) bytes") }
                recount.insert(id)
            case .clearStaleRecords(let id):
                guard let summary = context.nodes[id] else { continue }
                attempt(action) { () throws(FileSystemError) in try fs.repairCutRecords(id, keeping: summary.recordCount) }
                recount.insert(id)
            case .duplicateBlocks(let id):
                let shared = sharedBlocks(of: id)
                attempt(action) { () throws(FileSystemError) in try fs.repairCopyRecords(id, sharing: shared) }
                recount.insert(id)
            case .clearNodeFields(let id):
                attempt(action) { () throws(FileSystemError) in try fs.repairChangeNode(id) { $0.clearReservedFields() } }
                recount.insert(id)
            case .setBlockCount(let id), .setDirectorySize(let id):
                recount.insert(id)
            default:
                continue
            }
        }
        var links: [UInt32: UInt32] = [:]
        for case .setLinkCount(let id, let count) in actions { links[id] = count }
        reconnect(actions, fs: fs, links: &links, recount: &recount)
        for (id, count) in links.sorted(by: { $0.key < $1.key }) {
            attempt(.setLinkCount(node: id, links: count)) { () throws(FileSystemError) in
                try fs.repairChangeNode(id) { $0.links = count }
            }
        }
        for id in recount.sorted() {
            let action = actions.first { $0 == .setBlockCount(node: id) || $0 == .setDirectorySize(node: id) }
            attempt(action) { () throws(FileSystemError) in try fs.repairRecount(id) }
        }
        fs.repairClearHeaderPadding()

        // The commit: the log is rebuilt from the repaired tree.
        let newUse = merge(fs.repairUsedExtents().map { $0.clamped(to: 0..<blocks) })
        let free = complement(of: merge(oldUse + newUse), within: RedoxFS.headerRing + 1..<blocks)
        let releasing = subtract(newUse, from: oldUse).map { $0.clamped(to: RedoxFS.headerRing + 1..<blocks) }
        try fs.repairCommit(free: free, releasing: releasing.filter { !$0.isEmpty })
        return fs
    }

    /// After the commit: notes what the commit itself did and mends the header ring.
    private mutating func finishRingRepairs(_ actions: [RepairAction], fs: FileSystem) {
        note(actions.filter { action in
            switch action {
            case .rebuildAllocator, .rewriteHeader, .fallBackToHeader: return true
            default: return false
            }
        })
        for case .clearHeaderSlot(let slot) in actions {
            attempt(.clearHeaderSlot(slot: slot)) { () throws(FileSystemError) in try fs.repairClearHeaderSlot(slot) }
        }
        for case .rewriteHeaderSlot(let slot, let generation) in actions {
            attempt(.rewriteHeaderSlot(slot: slot, generation: generation)) { () throws(FileSystemError) in
                try fs.repairRewriteHeaderSlot(slot, generation: generation)
            }
        }
    }

    // MARK: Steps

    /// Rebuilds every directory with entries to drop or a broken index, from its readable entries:
    /// dropped names left out, invalid names replaced, later duplicates renamed.
    private mutating func rebuildDirectories(_ actions: [RepairAction], fs: FileSystem) {
        var drops: [UInt32: Set<[UInt8]>] = [:]
        var rebuild: Set<UInt32> = []
        for action in actions {
            switch action {
            case .dropEntry(let directory, let name): drops[directory, default: []].insert(name)
            case .rebuildDirectory(let directory): rebuild.insert(directory)
            default: continue
            }
        }
        for directory in rebuild.union(drops.keys).sorted() {
            guard let image = context.directories[directory] else { continue }
            let dropped = drops[directory] ?? []
            var used: Set<[UInt8]> = []
            var entries: [DirectoryEntry] = []
            for entry in image.entries where !dropped.contains(entry.name) {
                var name = entry.name
                let valid = DirectoryEntry.isValidName(name) && String(validating: name, as: UTF8.self) != nil
                if !valid { name = Array("#\(entry.nodeID)".utf8) }
                var attempt = 1
                while used.contains(name) {
                    name = Array((String(decoding: entry.name.prefix(200), as: UTF8.self) + "~\(attempt)").utf8)
                    if !DirectoryEntry.isValidName(name) { name = Array("#\(entry.nodeID)~\(attempt)".utf8) }
                    attempt += 1
                }
                used.insert(name)
                entries.append(DirectoryEntry(nodeID: entry.nodeID, name: name))
            }
            let covered = actions.filter { action in
                switch action {
                case .rebuildDirectory(let id): return id == directory
                case .dropEntry(let id, _): return id == directory
                default: return false
                }
            }
            attemptAll(covered) { () throws(FileSystemError) in try fs.repairRebuildDirectory(directory, entries: entries) }
        }
    }

    /// Names every orphan in /lost+found (made when missing) as `#<node id>`.
    private mutating func reconnect(
        _ actions: [RepairAction], fs: FileSystem, links: inout [UInt32: UInt32], recount: inout Set<UInt32>
    ) {
        let orphans = actions.compactMap { action -> UInt32? in
            if case .reconnect(let id) = action { return id } else { return nil }
        }
        guard !orphans.isEmpty else { return }
        let folder = Array("lost+found".utf8)
        let lostAndFound: UInt32
        do {
            if let existing = try fs.find(folder, in: RedoxFS.rootNodeID) {
                lostAndFound = existing
            } else {
                lostAndFound = try fs.create(
                    folder, in: RedoxFS.rootNodeID, mode: NodeKind.directory.rawValue | 0o700, uid: 0, gid: 0)
            }
        } catch {
            outcome.failures.append("cannot make /lost+found: \(error)")
            return
        }
        for id in orphans {
            var name = Array("#\(id)".utf8)
            var attempt = 1
            while (try? fs.find(name, in: lostAndFound)) ?? nil != nil {
                name = Array("#\(id)~\(attempt)".utf8)
                attempt += 1
            }
            let entry = DirectoryEntry(nodeID: id, name: name)
            let done = self.attempt(.reconnect(node: id)) { () throws(FileSystemError) in
                try fs.repairInsertEntry(entry, into: lostAndFound)
            }
            if done {
                links[id] = context.references[id, default: 0] + 1
                outcome.reconnected.append("/lost+found/" + displayName(name))
            }
        }
        recount.insert(lostAndFound)
    }

    // MARK: Bookkeeping

    @discardableResult
    private mutating func attempt(_ action: RepairAction?, _ body: () throws(FileSystemError) -> Void) -> Bool {
        attemptAll(action.map { [$0] } ?? [], body)
    }

    @discardableResult
    private mutating func attemptAll(_ actions: [RepairAction], _ body: () throws(FileSystemError) -> Void) -> Bool {
        do {
            try body()
            note(actions)
            return true
        } catch {
            var reason = "\(error)"
            if error.errno == ENOSPC {
                reason = "no free block is left for a copy-on-write change (blocks the damaged file system still uses are never overwritten)"
            }
            outcome.failures.append("\(actions.map(\.summary).joined(separator: ", ")): \(reason)")
            return false
        }
    }

    private mutating func note(_ actions: [RepairAction]) {
        for action in actions where !outcome.applied.contains(action) { outcome.applied.append(action) }
    }

    // MARK: Extents

    /// Blocks the damaged header's structures use (as claimed by the passes), below `limit`.
    private func usedByOldHeader(limit: UInt64) -> [Range<UInt64>] {
        merge(context.claims.claims.compactMap { claim in
            guard claim.start < limit else { return nil }
            return claim.start..<min(claim.end, limit)
        })
    }

    /// Blocks of node `id` that another structure uses too.
    private func sharedBlocks(of id: UInt32) -> Set<UInt64> {
        var shared: Set<UInt64> = []
        for problem in context.problems where problem.code == .blockUsedTwice && problem.node == id {
            guard let block = problem.block else { continue }
            for offset in 0..<(problem.blockCount ?? 1) { shared.insert(block + offset) }
        }
        return shared
    }

    private func merge(_ ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        var set = ExtentSet()
        for range in ranges where !range.isEmpty { set.insert(range) }
        return set.ranges
    }

    private func complement(of used: [Range<UInt64>], within domain: Range<UInt64>) -> [Range<UInt64>] {
        var set = ExtentSet()
        set.insert(domain)
        for range in used { set.remove(range) }
        return set.ranges
    }

    private func subtract(_ removed: [Range<UInt64>], from ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        var set = ExtentSet()
        for range in ranges { set.insert(range) }
        for range in removed { set.remove(range) }
        return set.ranges
    }
}
