import RedoxFSFormat

/// A bounded cache of verified plaintext blocks, keyed by file-system block index.
/// Eviction is first-in first-out, which is enough for the sequential walks of the tools.
final class BlockCache {
    /// Blocks written by the open transaction, not yet on disk; never evicted.
    private(set) var dirty: [UInt64: [UInt8]] = [:]
    private(set) var dirtyBytes = 0
    private var blocks: [UInt64: [UInt8]] = [:]
    /// The seahash of each cached or dirty block, so a hit needs no rehash.
    private var hashes: [UInt64: UInt64] = [:]
    /// Dirty blocks whose hash is a provisional tag, not yet their seahash: node-tree blocks the
    /// open transaction rewrites again and again are hashed once, when the commit settles them.
    private(set) var provisional: Set<UInt64> = []
    private var order: [UInt64] = []
    private var head = 0
    /// Upper bound of the bytes held (a lower bound takes effect as blocks are added).
    var capacityBytes: Int
    private var heldBytes = 0

    /// Serialises the calls readers make (`lookup(_:hash:)`, `insert`): readers holding the
    /// engine's lock shared run together (the engine sets this to its lock's `guarded`). Every
    /// other call comes from the exclusive holder, when no reader runs.
    var serialize: (() -> Void) -> Void = { $0() }

    /// The SeaHash of a block (the engine sets this to its providers' `seaHash`): what the engine's
    /// readers verify blocks read from the device with, and what hashes dirty blocks.
    var hashBlock: (UnsafeBufferPointer<UInt8>) -> UInt64 = { SeaHash.hash($0) }

    /// `tagBase` starts the provisional tags (`provisionalTag`): the engine draws it at random
    /// per mount, so an image cannot carry a pointer made to match a tag of the open transaction.
    init(capacityBytes: Int, tagBase: UInt64 = 0) {
        self.capacityBytes = capacityBytes
        self.tagBase = tagBase
    }

    func lookup(_ index: UInt64) -> [UInt8]? { dirty[index] ?? blocks[index] }

    /// The block at `index` when cached with exactly this hash (already verified).
    func lookup(_ index: UInt64, hash: UInt64) -> [UInt8]? {
        var found: [UInt8]?
        serialize {
            guard hashes[index] == hash else { return }
            found = lookup(index)
        }
        return found
    }

    func insertDirty(_ index: UInt64, _ bytes: [UInt8], hash: UInt64? = nil, provisional isProvisional: Bool = false) {
        // The updates hand back what they replace, which is what the journal records (one
        // lookup per table instead of two).
        let old = dirty.updateValue(bytes, forKey: index)
        if let old { dirtyBytes -= old.count }
        dirtyBytes += bytes.count
        recordDirty(index, replacing: old, hash: hash ?? bytes.withUnsafeBufferPointer(hashBlock), provisional: isProvisional)
    }

    /// Replaces the dirty block at `index` as `insertDirty` would, finding it once. `make` builds
    /// the new block (its bytes, their hash or provisional tag, whether the hash is provisional)
    /// and is called only when the write cache holds a block at `index`: false, nothing made and
    /// nothing changed, when it holds none. `make` must not touch `dirty` (the slot found is
    /// written after it returns).
    func replaceDirty(
        _ index: UInt64, with make: () -> (bytes: [UInt8], hash: UInt64, provisional: Bool)
    ) -> Bool {
        guard let slot = dirty.index(forKey: index) else { return false }
        let block = make()
        let old = dirty.values[slot]
        dirty.values[slot] = block.bytes
        dirtyBytes += block.bytes.count - old.count
        recordDirty(index, replacing: old, hash: block.hash, provisional: block.provisional)
        return true
    }

    /// What `insertDirty` and `replaceDirty` do after storing the bytes of block `index` (which
    /// replaced `old`): its hash, its provisional mark and the journal entry that undoes both and
    /// the bytes (`rollBack` undoes exactly this).
    @inline(__always)
    private func recordDirty(_ index: UInt64, replacing old: [UInt8]?, hash: UInt64, provisional isProvisional: Bool) {
        let oldHash = hashes.updateValue(hash, forKey: index)
        var wasProvisional = false
        if isProvisional {
            wasProvisional = !provisional.insert(index).inserted
        } else if !provisional.isEmpty {
            wasProvisional = provisional.remove(index) != nil
        }
        if journalDepth > 0 { journal.append(JournalEntry(index: index, dirty: old, hash: oldHash, provisional: wasProvisional)) }
    }

    /// Decoded nodes by block index, with the hash (or provisional tag) of the block they were
    /// decoded from: a hit needs the same block and hash, so a rewritten block never hits.
    /// `provisional` entries were decoded from a block under a provisional tag, which proves
    /// nothing about the bytes: they hit only while the open transaction still holds that block
    /// under that tag (`holdsProvisionally`), never for a pointer read from the disk.
    private var nodes: [UInt64: (hash: UInt64, provisional: Bool, node: Node)] = [:]
    /// At most this many decoded nodes are kept (about 4 KiB each).
    static let nodeLimit = 2048

    /// Readers call this holding the engine's lock shared, hence `serialize`.
    func node(_ index: UInt64, hash: UInt64) -> Node? {
        var found: Node?
        serialize {
            guard let entry = nodes[index], entry.hash == hash else { return }
            if entry.provisional && !holdsProvisionally(index, tag: hash) { return }
            found = entry.node
        }
        return found
    }

    /// Readers call this holding the engine's lock shared, hence `serialize`.
    func rememberNode(_ node: Node, index: UInt64, hash: UInt64) {
        serialize {
            if nodes.count >= Self.nodeLimit, nodes[index] == nil { nodes.removeAll(keepingCapacity: true) }
            nodes[index] = (hash, holdsProvisionally(index, tag: hash), node)
        }
    }

    /// Whether the open transaction holds block `index` under the provisional tag `tag`.
    private func holdsProvisionally(_ index: UInt64, tag: UInt64) -> Bool {
        !provisional.isEmpty && provisional.contains(index) && hashes[index] == tag
    }

    /// Keeps a decoded node when its block's hash changes but its bytes do not (a settled
    /// provisional hash: the entry is then a verified one). Exclusive holder only (the commit
    /// settling the tree, before its device I/O admits readers): it is not `serialize`d.
    func rehashNode(_ index: UInt64, from old: UInt64, to new: UInt64) {
        guard let entry = nodes[index], entry.hash == old else { return }
        nodes[index] = (new, false, entry.node)
    }

    /// Node block pointers by node id, as the node tree whose root is `nodePointerTree` holds
    /// them: a node's pointer without walking the four TreeLists above it. A root pointer names
    /// its whole tree (every pointer carries its block's hash or a fresh provisional tag, as the
    /// block lookups above rely on), so the entries are valid exactly while the working tree's
    /// root is that pointer; any other change of the root (a commit settling hashes, an undone
    /// operation) empties them on the next use.
    private var nodePointers: [UInt32: BlockPointer] = [:]
    private var nodePointerTree = BlockPointer.null
    /// At most this many node pointers are kept (32 bytes each).
    static let nodePointerLimit = 16384

    /// Node `id`'s pointer in the tree rooted at `tree`, when known; null when that tree's slot
    /// for `id` is known to be empty (the node was removed). Readers call this holding the
    /// engine's lock shared, hence `serialize`.
    func nodePointer(_ id: UInt32, tree: BlockPointer) -> BlockPointer? {
        var found: BlockPointer?
        serialize {
            guard nodePointerTree == tree else { return }
            found = nodePointers[id]
        }
        return found
    }

    /// Keeps node `id`'s pointer as the tree rooted at `tree` holds it (a reader's walk).
    func rememberNodePointer(_ pointer: BlockPointer, id: UInt32, tree: BlockPointer) {
        serialize {
            if nodePointerTree != tree || nodePointers.count >= Self.nodePointerLimit {
                nodePointers.removeAll(keepingCapacity: true)
                nodePointerTree = tree
            }
            nodePointers[id] = pointer
        }
    }

    /// The tree rooted at `old` became the tree rooted at `new` by rewriting node `id`'s path
    /// alone: every other node keeps its pointer; `id`'s is now `pointer` (null: removed, kept
    /// as such so that a request for the gone node, e.g. the kernel flushing its times right
    /// after the unlink, needs no walk).
    func nodePathRewritten(_ id: UInt32, pointer: BlockPointer, from old: BlockPointer, to new: BlockPointer) {
        serialize {
            if nodePointerTree != old || nodePointers.count >= Self.nodePointerLimit {
                nodePointers.removeAll(keepingCapacity: true)
            }
            nodePointerTree = new
            nodePointers[id] = pointer
        }
    }

    /// The commit settled the tree rooted at `old` into the one rooted at `new`: only the hashes
    /// on the rewritten paths changed, so every node keeps its pointer but those in `settled`,
    /// which get their settled one (the entries survive the commit).
    func nodePathsSettled(_ settled: [(id: UInt32, pointer: BlockPointer)], from old: BlockPointer, to new: BlockPointer) {
        serialize {
            // Entries of another tree are emptied on their next use, as before.
            guard nodePointerTree == old else { return }
            nodePointerTree = new
            for (id, pointer) in settled where nodePointers[id] != nil { nodePointers[id] = pointer }
        }
    }

    private let tagBase: UInt64
    /// Provisional tags handed out this mount. It counts up to 2^64 - 1 without wrapping (a trap
    /// rather than a repeat), so no two tags of a mount are equal: a stale pointer or a stale
    /// decoded node never meets its tag again. Tests set it to reach far counts.
    var tagCount: UInt64 = 0

    /// A fresh provisional hash, unlike every other tag of this mount.
    func provisionalTag() -> UInt64 {
        tagCount += 1
        return tagBase &+ tagCount
    }

    /// The hash recorded for a dirty or cached block. Exclusive holder only: it is not
    /// `serialize`d, and readers may change the record of clean blocks (`insert`).
    func hash(of index: UInt64) -> UInt64? { hashes[index] }

    func removeDirty(_ index: UInt64) {
        record(index)
        if let old = dirty.removeValue(forKey: index) {
            dirtyBytes -= old.count
            // A clean copy of the block's older contents no longer matches the recorded hash
            // (the dirty block's, perhaps a provisional tag): both go.
            if let clean = blocks.removeValue(forKey: index) { heldBytes -= clean.count }
            hashes[index] = nil
        }
        if !provisional.isEmpty { provisional.remove(index) }
    }

    /// Moves the written blocks into the clean cache (metadata only; records are not kept).
    func commitDirty(keepRecords: Bool = false) {
        let written = dirty
        // Settled before every commit (`settleTree`); a block still under a tag is not kept.
        let unsettled = provisional
        dirty.removeAll()
        dirtyBytes = 0
        provisional.removeAll()
        // A commit is never undone: operations commit only as their last step.
        journal.removeAll(keepingCapacity: true)
        // One `serialize` for all of them (`insert` would take it once per block). A dirty block's
        // hash is recorded already (`insertDirty`), so `store` need not set it again.
        serialize {
            for (index, bytes) in written {
                if (bytes.count == RedoxFS.blockSize || keepRecords) && (unsettled.isEmpty || !unsettled.contains(index)) {
                    store(index, bytes, hash: nil)
                } else {
                    remove(index)
                }
            }
        }
    }

    func insert(_ index: UInt64, _ bytes: [UInt8], hash: UInt64? = nil) {
        serialize { store(index, bytes, hash: hash) }
    }

    private func store(_ index: UInt64, _ bytes: [UInt8], hash: UInt64?) {
        if let hash { hashes[index] = hash }
        if let old = blocks.updateValue(bytes, forKey: index) {
            heldBytes += bytes.count - old.count
            return
        }
        heldBytes += bytes.count
        order.append(index)
        while heldBytes > capacityBytes, head < order.count {
            if let evicted = blocks.removeValue(forKey: order[head]) {
                heldBytes -= evicted.count
                if dirty[order[head]] == nil { hashes[order[head]] = nil }
            }
            head += 1
        }
        if head > 4096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    func remove(_ index: UInt64) {
        if let old = blocks.removeValue(forKey: index) { heldBytes -= old.count }
        if dirty[index] == nil { hashes[index] = nil }
    }

    /// Changes to the write cache since `beginJournal`, newest last, so that a failed operation can
    /// be undone without copying the whole cache.
    /// Recorded only while `journalDepth > 0`. The array keeps its storage from one operation to
    /// the next (an unlink records ~7 changes: starting from an empty array each time grew it
    /// four times per operation).
    private var journal: [JournalEntry] = []
    private var journalDepth = 0
    /// The most journal entries whose storage is kept for the next operation.
    static let journalCapacityKept = 256

    /// What one change of the write cache replaced. A struct, not a tuple: an array of tuples is
    /// destroyed element by element through the tuple's generic metadata (a struct costs ≈0.2k
    /// fewer instructions per unlink).
    private struct JournalEntry {
        var index: UInt64
        var dirty: [UInt8]?
        var hash: UInt64?
        var provisional: Bool
    }

    /// Starts recording changes (nested calls share the outermost journal); returns a mark.
    func beginJournal() -> Int {
        journalDepth += 1
        return journal.count
    }

    /// Stops recording at this nesting level, keeping the changes (the outermost level lets go
    /// of the replaced blocks the journal held).
    func endJournal() {
        journalDepth -= 1
        guard journalDepth == 0 else { return }
        // A large operation's storage is not kept (thousands of entries after a big write).
        journal.removeAll(keepingCapacity: journal.capacity <= Self.journalCapacityKept)
    }

    /// Undoes every change recorded after `mark`.
    func rollBack(to mark: Int) {
        guard journalDepth > 0, mark <= journal.count else { return }
        while journal.count > mark {
            let entry = journal.removeLast()
            if let old = entry.dirty {
                if let current = dirty.updateValue(old, forKey: entry.index) { dirtyBytes -= current.count }
                dirtyBytes += old.count
            } else if let current = dirty.removeValue(forKey: entry.index) {
                dirtyBytes -= current.count
            }
            hashes[entry.index] = entry.hash
            if entry.provisional { provisional.insert(entry.index) } else { provisional.remove(entry.index) }
        }
    }

    private func record(_ index: UInt64) {
        guard journalDepth > 0 else { return }
        journal.append(JournalEntry(index: index, dirty: dirty[index], hash: hashes[index], provisional: provisional.contains(index)))
    }

    func removeAll() {
        dirty.removeAll()
        dirtyBytes = 0
        provisional.removeAll()
        nodes.removeAll()
        nodePointers.removeAll()
        nodePointerTree = .null
        blocks.removeAll()
        hashes.removeAll()
        order.removeAll()
        head = 0
        heldBytes = 0
    }
}

/// The engine's `BlockReader`: cache first, then the device, decrypted with the platform's cipher
/// and verified against the pointer's hash.
public struct CachedBlockReader<Device: StorageDevice, Cipher: XTSCipher>: BlockReader {
    var device: Device
    let startBlock: UInt64
    let blockCount: UInt64
    let cipher: Cipher?
    let cache: BlockCache
    /// Whether records (never kept in `cache`) of `bypassMinimumBytes` or more are read with the
    /// device's `readBlocksBypassingCache(at:into:)` instead of `readBlocks(at:into:)`.
    var recordsBypassCache = false
    /// Smaller records are read through the device's cache anyway. Measured on the FUSE mount
    /// (4 KiB random reads, then writes, of a 512 MiB file): with 4 KiB records a direct read
    /// made the reads no faster and left the writes' read-modify-write a cold image (writes
    /// 1.5-1.9x slower); with 32 KiB and 128 KiB records the reads were faster and the writes no slower.
    static var bypassMinimumBytes: Int { 32 << 10 }

    public mutating func read(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8] {
        try checkPointer(pointer, as: structure, blockCount: blockCount)
        let address = pointer.address
        if let cached = cache.lookup(address.index, hash: pointer.hash), cached.count == address.byteCount {
            return cached
        }
        if structure == .record && recordsBypassCache && address.byteCount >= Self.bypassMinimumBytes {
            return try readRecordBypassingCache(pointer)
        }
        let bytes = try readVerified(pointer, as: structure)
        if structure != .record { cache.insert(address.index, bytes, hash: pointer.hash) }
        return bytes
    }

    /// Record `pointer` as stored, for a caller that hashes it itself and must then check the
    /// hash with `verifyHash` before it uses any byte (`FileSystemEngine.markedRecord` and
    /// `contentForRewrite`): read and decrypted, not verified (`verified` false); or, when the
    /// cache holds it (the open transaction wrote it), the cached bytes (`verified` true).
    mutating func readRecordUnverified(_ pointer: BlockPointer) throws(FormatError) -> (bytes: [UInt8], verified: Bool) {
        try checkPointer(pointer, as: .record, blockCount: blockCount)
        let address = pointer.address
        if let cached = cache.lookup(address.index, hash: pointer.hash), cached.count == address.byteCount {
            return (cached, true)
        }
        let bypass = recordsBypassCache && address.byteCount >= Self.bypassMinimumBytes
        var bytes = try [UInt8](filling: address.byteCount) { (buffer) throws(FormatError) in
            if bypass {
                try device.readBlocksBypassingCache(at: startBlock + address.index, into: buffer)
            } else {
                try device.readBlocks(at: startBlock + address.index, into: buffer)
            }
        }
        bytes.withUnsafeMutableBufferPointer { decryptBlock($0, of: pointer, cipher: cipher) }
        return (bytes, false)
    }

    /// `readVerifiedBlock` of a record (pointer already checked), read past the device's cache.
    private mutating func readRecordBypassingCache(_ pointer: BlockPointer) throws(FormatError) -> [UInt8] {
        let address = pointer.address
        return try [UInt8](filling: address.byteCount) { (buffer) throws(FormatError) in
            try device.readBlocksBypassingCache(at: startBlock + address.index, into: buffer)
            try verify(buffer.assumingMemoryBound(to: UInt8.self), of: pointer, as: .record)
        }
    }

    /// The format's verified read (`readVerifiedBlock`: pointer checked, blocks read, decrypted,
    /// hash checked), hashed with the cache's `hashBlock` (the providers' SeaHash).
    private mutating func readVerified(_ pointer: BlockPointer, as structure: Structure) throws(FormatError) -> [UInt8] {
        try checkPointer(pointer, as: structure, blockCount: blockCount)
        let address = pointer.address
        var bytes = try device.readBlocks(at: startBlock + address.index, count: Int(address.blockCount))
        let actual = bytes.withUnsafeMutableBufferPointer { buffer in
            decryptBlock(buffer, of: pointer, cipher: cipher)
            return cache.hashBlock(UnsafeBufferPointer(buffer))
        }
        try verifyHash(actual, of: pointer, as: structure)
        return bytes
    }

    /// The format's `verifyBlock` (decrypt in place, check the hash) of a block read as stored
    /// into `block`, hashed with the cache's `hashBlock`.
    func verify(_ block: UnsafeMutableBufferPointer<UInt8>, of pointer: BlockPointer, as structure: Structure) throws(FormatError) {
        decryptBlock(block, of: pointer, cipher: cipher)
        try verifyHash(cache.hashBlock(UnsafeBufferPointer(block)), of: pointer, as: structure)
    }

    /// On a read from the device (not from `cache`), asks the device to start reading the
    /// lists the list points to (runs of adjacent blocks as one hint), so that a random read of
    /// a large file waits for its record alone, not for its level-0 list too. Measured on the
    /// FUSE mount (512 MiB file of 4 KiB records, 5,000 random 4 KiB reads after a remount):
    /// 448 of the 512 level-0 lists sit under two such lists, and were one synchronous disk
    /// read each in the request path.
    public mutating func readListOfLists(_ pointer: BlockPointer) throws(FormatError) -> [UInt8] {
        try checkPointer(pointer, as: .blockList, blockCount: blockCount)
        let address = pointer.address
        if let cached = cache.lookup(address.index, hash: pointer.hash), cached.count == address.byteCount {
            return cached
        }
        let bytes = try readVerified(pointer, as: .blockList)
        cache.insert(address.index, bytes, hash: pointer.hash)
        prefetchLists(in: bytes)
        return bytes
    }

    /// Hints the device to read the blocks the (verified) list `bytes` points to.
    private mutating func prefetchLists(in bytes: [UInt8]) {
        var run: Range<UInt64>?
        for slot in 0..<BlockList.entryCount {
            let child = BlockPointer(bytes: bytes, at: slot * 16)
            guard !child.isNull else { continue }
            let start = child.address.index
            let end = start + UInt64(child.address.byteCount / RedoxFS.blockSize)
            guard end <= blockCount, start < end else { continue }
            if let current = run, current.upperBound == start {
                run = current.lowerBound..<end
                continue
            }
            if let current = run { device.prefetchBlocks(at: startBlock + current.lowerBound, count: current.count) }
            run = start..<end
        }
        if let current = run { device.prefetchBlocks(at: startBlock + current.lowerBound, count: current.count) }
    }

    public mutating func cachedNode(at pointer: BlockPointer) -> Node? {
        cache.node(pointer.address.index, hash: pointer.hash)
    }

    public mutating func rememberNode(_ node: Node, at pointer: BlockPointer) {
        cache.rememberNode(node, index: pointer.address.index, hash: pointer.hash)
    }
}
