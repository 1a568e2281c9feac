import RedoxFSFormat

/// An open RedoxFS file system: its device, newest header, keys, caches and, when writable,
/// the open copy-on-write transaction. Generic over the block device and the platform's
/// providers (cipher, codec, key derivation, random source, clock, lock); the hosted engine
/// names it `FileSystem`.
///
/// Every public method runs holding the providers' lock: exclusively when it changes anything,
/// shared when it only reads (see `EngineLocking`). With a real lock, public methods are safe to
/// call from several threads, and reads run together. Code that runs under the shared lock must
/// not change the engine's state, except through `lock.guarded` (the block cache does).
public final class FileSystemEngine<Device: StorageDevice, Providers: EngineProviders> {
    public internal(set) var device: Device
    /// The newest header on disk (with `overlapsCommits`, the newest commit's, whose header may
    /// still wait for the next commit).
    public internal(set) var header: Header
    /// The header the open transaction is building (equal to `header` when nothing is pending).
    var working: Header
    /// Device block where the file system (header ring slot 0) starts.
    public let startBlock: UInt64
    /// The ring slot of `header`: the one it was read from at open, then the one each commit
    /// writes (or, overlapping commits, leaves pending for the next).
    public internal(set) var headerSlot: UInt64
    /// Set when the newest generation's commit was found torn at open (`NewestCommitCheck`): the
    /// engine opened the generation before it, and its next commit is written after the torn one.
    public internal(set) var tornNewestCommit: TornCommit?
    /// Whether `header` is the header in its own ring slot, one generation below the next commit,
    /// so that generation N−1 of the open-time check (`NewestCommitCheck`) is the base the next
    /// commit is built on: a commit may then be written with one flush (see `writeCommitToDevice`).
    var baseIsRingPredecessor = false
    /// The data keys, when the file system is encrypted.
    public internal(set) var keys: DataKeys?
    public let isWritable: Bool
    let cipher: Providers.Cipher?
    let cache: BlockCache
    /// The platform's cipher, codec, key derivation, random source, clock and lock.
    public let providers: Providers
    let codec: Providers.Codec
    let lock: Providers.Lock

    // Transaction state (see Transaction.swift).
    var allocatorState: BuddyAllocator?
    var pendingAllocations: [AllocEntry] = []
    var allocatedInTransaction: [UInt64: UInt8] = [:]
    var deferredFrees: [BlockAddress] = []
    /// The allocation log's newest block as the last commit wrote it (see AllocationLogTail.swift).
    var allocationTail: AllocationLogTail?
    /// The changes of the running operation to the three above, newest last, so that a failed
    /// operation can undo them without copying them whole (see TransactionScope.swift).
    var allocationJournal: [AllocationChange] = []
    /// Nodes whose tree path was rewritten since the last commit: where `settleTree` looks for
    /// provisional hashes (an undone operation may leave extra ids, which cost a look only).
    var treePathsSinceCommit: Set<UInt32> = []
    var openCounts: [UInt32: Int] = [:]
    /// The TreeLists the last path rewrite wrote, with their pointers (see `readTreeList`). A
    /// pointer names its block's content (hash or fresh provisional tag, as the block cache
    /// relies on), so an entry can only match while it is current; writers alone use it.
    var recentTreeLists: [(pointer: BlockPointer, list: TreeList)] = []
    /// How deep the running operation is nested (0: no operation runs).
    var transactionDepth = 0
    /// A commit asked for by the running operation, made when the outermost one succeeds.
    var commitRequest: CommitRequest?
    /// Whether the running operation frees space, and so may use the copy-on-write reserve.
    var mayUseReserve = false
    /// Set when a commit failed after its header was written: what is durable is unknown, so
    /// every later change is refused (reopen the file system).
    var failure: FileSystemError?
    /// Set in a repair session (`openForRepair`): it commits only when asked to, holds back only
    /// what its own commit needs, and writes only blocks the damaged header does not use.
    var repairSession: RepairSession?
    /// Fault injection for crash tests: the allocation this many allocations from now fails with ENOSPC.
    package var allocationsBeforeInjectedFailure: Int?
    /// The largest piece of a `write` made as one operation (crash tests make it small, so that
    /// long writes commit between pieces).
    package var writePieceBytes = 4 << 20
    var closed = false
    /// Records a prepared write is being made for (`prepareWrite`), so that a second write into
    /// the same record waits for the first instead of preparing from what it is about to replace.
    let recordClaims = RecordClaims()
    /// How many records writes have formed (merged, compressed; `recordFormations`).
    var formedRecords: UInt64 = 0
    /// How many of those records were tried with LZ4 whole (`recordCompressionTries`).
    var compressionTries: UInt64 = 0
    /// Whether the header this session builds on is known to be durable. A header read at open
    /// may still sit in a volatile cache (its commit's last flush failed): blocks it freed must
    /// not be overwritten before a flush makes it durable, or a power cut could bring back the
    /// older header with those blocks clobbered. The first commit flushes first.
    var baseIsDurable = false
    var thresholdStorage = 32 << 20
    /// Whether commits leave their header for the next commit (see `overlapsCommits`).
    var overlapStorage = false
    /// Whether automatic commits leave their header for the next commit (see
    /// `overlapsAutomaticCommits`).
    var automaticOverlapStorage = false
    /// The header of the last commit when `overlapsCommits` left it unwritten: its blocks are
    /// written (their write-back started), the header and its flushes are not.
    var pendingHeader: Header?
    var fileRecordSizeStorage = RecordSize.upstream
    var recordReadsBypassCacheStorage = false
    var splitsLargeReadsStorage: Bool?
    var clockSource: () -> Timestamp

    /// Commit automatically once this many bytes are waiting in the write cache (at the end of an
    /// operation, never inside one).
    public var commitThresholdBytes: Int {
        get { lock.sharedLocked { thresholdStorage } }
        set { lock.locked { thresholdStorage = newValue } }
    }

    /// The record size of regular files created from now on (default: upstream's 128 KiB).
    /// Files that exist keep the record size they were created with.
    public var fileRecordSize: RecordSize {
        get { lock.sharedLocked { fileRecordSizeStorage } }
        set { lock.locked { fileRecordSizeStorage = newValue } }
    }

    /// Whether the engine's own reads of stored records (a write's read-modify-write, `read`)
    /// use the device's `readBlocksBypassingCache(at:into:)` (an image file: records not in the
    /// page cache read with O_DIRECT). Off by default; `readBulk` and `recordContent` can say
    /// otherwise per call. Metadata is read as always.
    public var recordReadsBypassCache: Bool {
        get { lock.sharedLocked { recordReadsBypassCacheStorage } }
        set { lock.locked { recordReadsBypassCacheStorage = newValue } }
    }

    /// Whether a read of `splitReadMinimumBytes` or more is read in pieces (whole records, 128
    /// KiB or one record) through `providers.forEachConcurrently`, which may read them on both
    /// processors (see FileSystem+SplitRead.swift). Default (nil): when the file system is
    /// encrypted, where decryption is most of a read's work.
    public var splitsLargeReads: Bool? {
        get { lock.sharedLocked { splitsLargeReadsStorage } }
        set { lock.locked { splitsLargeReadsStorage = newValue } }
    }

    /// The clock used for new times; replace it for reproducible images. The engine calls it
    /// holding its lock, and so does the closure this returns.
    public var clock: () -> Timestamp {
        get { { [self] in lock.sharedLocked { clockSource() } } }
        set { lock.locked { clockSource = newValue } }
    }

    /// Opens the file system on `device`. `startBlock` pins the header ring's position (else the
    /// device is scanned); `password` unlocks an encrypted file system. `generation` opens an older
    /// generation of the ring read-only, as it was; without it a newest generation whose root
    /// cannot be read is refused (`FileSystemError.damagedGeneration`). `fileRecordSize` is the
    /// record size of regular files created from then on (see `RecordSize`).
    public init(
        device: Device, providers: Providers, startBlock: UInt64? = nil, password: [UInt8]? = nil,
        writable: Bool = false, generation: UInt64? = nil, fileRecordSize: RecordSize = .upstream
    ) throws(FileSystemError) {
        fileRecordSizeStorage = fileRecordSize
        var device = device
        let location = try Self.locate(on: &device, startBlock: startBlock, generation: generation, writable: writable)
        self.device = device
        self.providers = providers
        codec = providers.codec
        let lock = providers.makeLock()
        self.lock = lock
        clockSource = { [providers] in providers.now() }
        header = location.header
        working = location.header
        self.startBlock = location.startBlock
        headerSlot = location.slot
        isWritable = writable
        cache = Self.makeCache(guardedBy: lock, providers: providers)
        if header.isEncrypted {
            guard let password else { throw .format(.passwordRequired) }
            do {
                let unlocked = try header.unlock(password: password, deriveKey: providers.deriveKey(password:salt:))
                keys = unlocked.keys
            } catch {
                throw .format(error)
            }
            cipher = keys.map { providers.cipher(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        } else {
            if password != nil { throw .format(.notEncrypted) }
            keys = nil
            cipher = nil
        }
        let blocks = header.blockCount
        guard blocks >= RedoxFS.minimumBlocks else {
            throw .format(.malformed(.header, block: location.slot, .sizeTooSmall))
        }
        guard location.startBlock + blocks <= device.blockCount else {
            throw .format(.malformed(.header, block: location.slot, .largerThanDevice))
        }
        if generation == nil {
            try adoptIntactNewest()
            try refuseDamagedNewest()
        }
        if writable { _ = try allocator() }
    }

    /// Creates the engine object for a file system just written by `format` (internal).
    init(
        formatted device: Device, providers: Providers, header: Header, startBlock: UInt64, keys: DataKeys?,
        allocator: BuddyAllocator
    ) {
        self.device = device
        self.providers = providers
        codec = providers.codec
        let lock = providers.makeLock()
        self.lock = lock
        clockSource = { [providers] in providers.now() }
        self.header = header
        working = header
        self.startBlock = startBlock
        headerSlot = header.generation % RedoxFS.headerRing
        self.keys = keys
        cipher = keys.map { providers.cipher(dataKey: $0.dataKey, tweakKey: $0.tweakKey) }
        isWritable = true
        cache = Self.makeCache(guardedBy: lock, providers: providers)
        allocatorState = allocator
        baseIsDurable = true
    }

    /// The block cache, its readers' calls serialised by `lock` (shared holders run together), its
    /// provisional tags starting at a random point (`BlockCache.init`).
    static func makeCache(guardedBy lock: Providers.Lock, providers: Providers) -> BlockCache {
        var tagBase: UInt64 = 0
        for byte in providers.randomBytes(8) { tagBase = tagBase << 8 | UInt64(byte) }
        let cache = BlockCache(capacityBytes: 64 << 20, tagBase: tagBase)
        cache.serialize = { body in lock.guarded(body) }
        cache.hashBlock = { bytes in providers.seaHash(bytes) }
        return cache
    }

    /// The SeaHash of `bytes` with the providers' implementation (`EngineProviders.seaHash`).
    @inline(__always)
    func seaHash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { providers.seaHash($0) }
    }

    public var isEncrypted: Bool { header.isEncrypted }

    /// The uuid as 8-4-4-4-12 lowercase hex.
    public var uuidString: String { Self.format(uuid: header.uuid) }

    public static func format(uuid: [UInt8]) -> String {
        var text = ""
        for (i, byte) in uuid.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text += "-" }
            text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return text
    }

    /// A reader over the working tree (including uncommitted changes), sharing the engine's cache:
    /// use it only while the lock is held (shared is enough: it changes nothing but the cache),
    /// by the holder or by threads the holder waits for (a split read's helper,
    /// `EngineProviders.forEachConcurrently`), which never take the lock themselves.
    package var reader: FileSystemReader<CachedBlockReader<Device, Providers.Cipher>> {
        FileSystemReader(
            reader: CachedBlockReader(
                device: device, startBlock: startBlock, blockCount: working.blockCount, cipher: cipher, cache: cache,
                recordsBypassCache: recordReadsBypassCacheStorage),
            tree: working.tree)
    }

    /// Runs `body` with a reader over the working tree, mapping errors to the engine's. Its
    /// record reads bypass the device's cache as `recordsBypassCache` says (default:
    /// `recordReadsBypassCache`).
    package func withReader<T>(
        recordsBypassCache: Bool? = nil,
        _ body: (inout FileSystemReader<CachedBlockReader<Device, Providers.Cipher>>) throws(FormatError) -> T
    ) throws(FileSystemError) -> T {
        if closed { throw .system(operation: "read", path: "file system", errno: POSIXCode.EBADF) }
        var reader = self.reader
        if let recordsBypassCache { reader.reader.recordsBypassCache = recordsBypassCache }
        do {
            return try body(&reader)
        } catch {
            throw .format(error)
        }
    }

    // MARK: Reading

    /// Node `id`.
    public func node(_ id: UInt32) throws(FileSystemError) -> Node {
        try lock.sharedLocked { () throws(FileSystemError) in try loadNode(id) }
    }

    /// Node `id` of the working tree. `remembering` false leaves a node decoded here out of the
    /// decoded-node cache (an unlink's victim: its block is usually freed in the same operation,
    /// and keeping it would only push out a node that is read again).
    func loadNode(_ id: UInt32, remembering: Bool = true) throws(FileSystemError) -> Node {
        let tree = working.tree
        if let pointer = cache.nodePointer(id, tree: tree) {
            // A node removed from this tree: its slot is empty (no walk to find that out again).
            if pointer.isNull { throw .format(.noSuchNode(id)) }
            return try withReader { (reader) throws(FormatError) in try reader.node(at: pointer, remembering: remembering) }
        }
        return try withReader { (reader) throws(FormatError) in
            let pointer = try reader.nodePointer(id)
            let node = try reader.node(at: pointer, remembering: remembering)
            cache.rememberNodePointer(pointer, id: id, tree: tree)
            return node
        }
    }

    /// The node id of `path` (absolute or relative to the root; symbolic links are not followed).
    public func lookup(_ path: String) throws(FileSystemError) -> UInt32 {
        try lock.sharedLocked { () throws(FileSystemError) in
            try withReader { (reader) throws(FormatError) in try reader.lookup(path: Array(path.utf8)) }
        }
    }

    /// The node id `name` names in directory `directory`, or nil.
    public func find(_ name: [UInt8], in directory: UInt32) throws(FileSystemError) -> UInt32? {
        try lock.sharedLocked { () throws(FileSystemError) in try findEntry(name, in: directory) }
    }

    func findEntry(_ name: [UInt8], in directory: UInt32) throws(FileSystemError) -> UInt32? {
        let node = try loadNode(directory)
        return try withReader { (reader) throws(FormatError) in try reader.find(name, in: node) }
    }

    /// The entries of directory `id`, in stored order ("." and ".." are not stored).
    public func entries(of id: UInt32) throws(FileSystemError) -> [DirectoryEntry] {
        try lock.sharedLocked { () throws(FileSystemError) in
            try withReader { (reader) throws(FormatError) in try reader.entries(of: reader.nodeView(id)) }
        }
    }

    /// Up to `count` bytes of node `id` from `offset` (short only at end of file).
    public func read(_ id: UInt32, at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] {
        try lock.sharedLocked { () throws(FileSystemError) in
            let node = try loadNode(id)
            guard offset < node.size else { return [] }
            var bytes = [UInt8](repeating: 0, count: Int(min(UInt64(count), node.size - offset)))
            var failure: FileSystemError?
            bytes.withUnsafeMutableBytes { buffer in
                do throws(FileSystemError) { _ = try readContent(node, at: offset, into: buffer) } catch { failure = error }
            }
            if let failure { throw failure }
            return bytes
        }
    }

    /// Reads node `node`'s content at `offset` into `buffer`; returns the byte count (short at end of file).
    public func read(_ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
        try lock.sharedLocked { () throws(FileSystemError) in try readContent(node, at: offset, into: buffer) }
    }

    func readContent(
        _ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, recordsBypassCache: Bool? = nil
    ) throws(FileSystemError) -> Int {
        if let pieces = splitPieces(of: node, at: offset, count: buffer.count) {
            return try readContent(node, at: offset, into: buffer, pieces: pieces, recordsBypassCache: recordsBypassCache)
        }
        return try readContentInOnePiece(node, at: offset, into: buffer, recordsBypassCache: recordsBypassCache)
    }

    /// `readContent` on the calling thread.
    func readContentInOnePiece(
        _ node: Node, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer, recordsBypassCache: Bool?
    ) throws(FileSystemError) -> Int {
        let codec = self.codec
        return try withReader(recordsBypassCache: recordsBypassCache) { (reader) throws(FormatError) in
            try reader.read(node, at: offset, into: buffer, codec: codec)
        }
    }

    /// Calls `body` with `node`'s content in order, in chunks of up to `chunkSize` bytes, with the
    /// offset of each; stops at the end of the file.
    public func forEachChunk(
        of node: Node, chunkSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer, UInt64) throws(FileSystemError) -> Void
    ) throws(FileSystemError) {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var offset: UInt64 = 0
        while offset < node.size {
            var failure: FileSystemError?
            buffer.withUnsafeMutableBytes { raw in
                do throws(FileSystemError) {
                    let count = try read(node, at: offset, into: raw)
                    if count == 0 { offset = node.size; return }
                    try body(UnsafeRawBufferPointer(rebasing: raw[0..<count]), offset)
                    offset += UInt64(count)
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        }
    }

    /// The target of symbolic link `id`.
    public func readLink(_ id: UInt32) throws(FileSystemError) -> [UInt8] {
        try lock.sharedLocked { () throws(FileSystemError) in
            let codec = self.codec
            let node = try loadNode(id)
            guard node.isSymlink else { throw .invalidArgument("node \(id) is not a symbolic link") }
            return try withReader { (reader) throws(FormatError) in try reader.readAll(node, codec: codec) }
        }
    }

    /// Closes the device without writing anything (see `unmount` for a clean close of a writable
    /// file system; with `overlapsCommits`, the last commit's pending header is not written, so
    /// the commit before it stands). Later calls fail with EBADF; closing twice does nothing.
    public func close() {
        lock.locked {
            guard !closed else { return }
            closed = true
            device.close()
        }
    }
}
