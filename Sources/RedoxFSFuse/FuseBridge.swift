#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// Serves FUSE low-level requests from one engine `FileSystem`: maps each request to engine
/// calls and answers it. Every method replies exactly once and never traps on a bad request or
/// a corrupt image (engine errors become their errno, anything unexpected EIO).
///
/// Called from several libfuse worker threads at once. Requests that only read (lookup, getattr,
/// read, readdir, readlink, opendir, statfs) hold the engine's lock shared and run together;
/// requests that change anything hold it exclusively. A read's atime update (relatime) is a
/// change of its own, made after the read, exclusively. The inode tags have a lock of their own;
/// the connection's settings (`configure`) are set once, before any other request.
final class FuseBridge: @unchecked Sendable {
    let fileSystem: FileSystem
    /// How long the kernel may cache names and attributes: nothing changes the file system
    /// behind the kernel's back, so this can be long.
    let cacheSeconds: Double
    let writebackCache: Bool
    let log: DaemonLog
    /// When reads move atime (the mount's `relatime`, `noatime` or `strictatime`).
    let accessTimePolicy: AccessTimePolicy
    /// The handles of this mount's nodes.
    let inodes = InodeNumbers()
    /// Pushes the rest of a record a small read verified into the kernel's page cache.
    let pageStore: RecordPageStore
    /// Writeback writes gathered per record, and the order of writes (FuseBridge+Writeback.swift).
    let coalescer = WriteCoalescer()
    /// Whether the records of small random READs (the ones `pageStore` may follow with a store)
    /// are read past the image's page cache when not in it (`-o direct_reads`). Larger and
    /// continuing READs read through it, with its readahead.
    let directReads: Bool
    /// Whether the kernel keeps the times of regular files (the writeback cache was granted): it
    /// moves mtime and ctime on writes itself and sends them with a SETATTR, so the engine's
    /// writes of a WRITE leave them alone. Set by `configure`: the kernel sends no other request
    /// before the INIT reply, which orders this write before every reader.
    private(set) var kernelKeepsFileTimes = false
    /// Called once the connection is negotiated (set before the request loop starts).
    /// The `-o max_read=N` the session was made with (0: none), repeated in the init reply.
    var maximumRead: UInt32 = 0
    var onInitialized: (@Sendable () -> Void)?

    init(
        fileSystem: FileSystem, writebackCache: Bool, accessTimePolicy: AccessTimePolicy = .relative,
        cacheSeconds: Double = 3600, notifyStore: Bool = true, directReads: Bool = false, threads: Int = 4, log: DaemonLog
    ) {
        pageStore = RecordPageStore(enabled: notifyStore, threads: threads)
        self.directReads = directReads
        self.fileSystem = fileSystem
        self.accessTimePolicy = accessTimePolicy
        self.writebackCache = writebackCache && fileSystem.isWritable
        self.cacheSeconds = cacheSeconds
        self.log = log
    }

    // MARK: Helpers shared by the operations

    /// Runs `body`, which replies on success; replies with the error's errno when it throws.
    func serve(_ request: fuse_req_t?, _ operation: StaticString, _ body: () throws(FileSystemError) -> Void) {
        do {
            try body()
        } catch {
            let code = error.errno
            if code == EIO { log.requestError("\(operation): \(error)") }
            fuse_reply_err(request, code)
        }
    }

    /// The node a FUSE handle names, with its id; ENOENT when that node is gone (its id may
    /// name a newer node by now, see `InodeNumbers`). Call it inside `fileSystem.exclusively` or
    /// `fileSystem.shared`, so the node cannot change before the request is done with it.
    func resolve(_ handle: fuse_ino_t) throws(FileSystemError) -> (id: UInt32, node: Node) {
        let id = InodeNumbers.nodeID(of: handle)
        guard id > 0 else { throw .format(.noSuchNode(0)) }
        let node = try fileSystem.node(id)
        guard inodes.matches(handle, id: id) else { throw .format(.noSuchNode(id)) }
        return (id, node)
    }

    /// The node id a FUSE handle names, without loading the node: for requests whose engine call
    /// loads it and checks its kind itself (unlink and rmdir load the directory, ENOTDIR or
    /// ENOENT as `resolveDirectory` would answer), so that it is loaded once, not twice. Call it
    /// inside `fileSystem.exclusively`, as `resolve`.
    func resolveID(_ handle: fuse_ino_t) throws(FileSystemError) -> UInt32 {
        let id = InodeNumbers.nodeID(of: handle)
        guard id > 0, inodes.matches(handle, id: id) else { throw .format(.noSuchNode(id)) }
        return id
    }

    /// The directory a FUSE handle names (ENOTDIR for anything else).
    func resolveDirectory(_ handle: fuse_ino_t) throws(FileSystemError) -> (id: UInt32, node: Node) {
        let resolved = try resolve(handle)
        guard resolved.node.isDirectory else { throw .format(.notDirectory) }
        return resolved
    }

    /// The bytes of a name the kernel passed; refuses names the format cannot hold.
    func name(_ pointer: UnsafePointer<CChar>?) throws(FileSystemError) -> [UInt8] {
        guard let pointer else { throw .invalidArgument("missing name") }
        let length = strlen(pointer)
        guard length <= RedoxFS.maxNameLength else {
            throw .system(operation: "name", path: "", errno: ENAMETOOLONG)
        }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// The caller's uid, gid and umask.
    func caller(_ request: fuse_req_t?) -> (uid: UInt32, gid: UInt32) {
        guard let context = fuse_req_ctx(request) else { return (0, 0) }
        return (context.pointee.uid, context.pointee.gid)
    }

    /// The entry reply for node `id` (handle, attributes, generation, cache times).
    func entry(for id: UInt32, _ node: Node) -> fuse_entry_param {
        var entry = fuse_entry_param()
        entry.ino = inodes.handle(for: id)
        entry.generation = UInt64(inodes.tag(of: id))
        entry.attr = NodeAttributes.stat(of: node, id: id)
        entry.attr_timeout = cacheSeconds
        entry.entry_timeout = cacheSeconds
        return entry
    }

    /// The owner and group a new node in `parent` gets, and the mode bits it inherits: the
    /// caller's uid; the caller's gid unless the parent is set-group-id, which passes its group
    /// (and, to directories, the set-group-id bit) down, as on other POSIX file systems.
    func newOwnership(_ request: fuse_req_t?, parent: Node, directory: Bool) -> (uid: UInt32, gid: UInt32, extraMode: UInt16) {
        let who = caller(request)
        if parent.mode & UInt16(Glibc.S_ISGID) != 0 {
            return (who.uid, parent.gid, directory ? UInt16(Glibc.S_ISGID) : 0)
        }
        return (who.uid, who.gid, 0)
    }

    /// Moves node `id`'s atime for a read (of content or of a listing) as the mount's policy says;
    /// cheap when nothing is to change. Call it after the read, outside `fileSystem.shared` (it
    /// changes the node, so it takes the lock exclusively, and checks again there).
    func noteAccess(_ id: UInt32, _ node: Node) throws(FileSystemError) {
        guard fileSystem.isWritable, node.needsAccessUpdate(at: fileSystem.clock(), policy: accessTimePolicy) else { return }
        try fileSystem.recordAccess(id, policy: accessTimePolicy)
    }

    /// Commits the open transaction (fsync, fsyncdir), with every write answered so far.
    func commit() throws(FileSystemError) {
        guard fileSystem.isWritable else { return }
        settleAllWrites()
        try fileSystem.commit()
        reportStatistics("commit")
    }
}

extension FuseBridge {
    /// The largest write and read the kernel may send (its own limit is 256 pages).
    static let maximumTransfer: UInt32 = 1 << 20

    /// Negotiates the connection (the `init` request): large transfers, readdirplus, and the
    /// kernel's writeback cache for writable mounts.
    func configure(_ connection: UnsafeMutablePointer<fuse_conn_info>) {
        let capable = connection.pointee.capable
        var want = connection.pointee.want
        func ask(_ capability: Int32) {
            if capable & UInt32(capability) != 0 { want |= UInt32(capability) }
        }
        ask(FUSE_CAP_ASYNC_READ)
        ask(FUSE_CAP_READDIRPLUS)
        ask(FUSE_CAP_READDIRPLUS_AUTO)
        ask(FUSE_CAP_PARALLEL_DIROPS)
        ask(FUSE_CAP_CACHE_SYMLINKS)
        if writebackCache { ask(FUSE_CAP_WRITEBACK_CACHE) }
        ask(FUSE_CAP_ATOMIC_O_TRUNC)  // open() truncates (see FuseBridge.open)
        // Only this mount changes the file system: a changed mtime never means stale pages.
        want &= ~UInt32(FUSE_CAP_AUTO_INVAL_DATA)
        // The kernel clears set-user-id and set-group-id bits on write, truncate and chown itself
        // (with setattr requests); libfuse would otherwise leave that to us.
        want &= ~UInt32(FUSE_CAP_HANDLE_KILLPRIV)
        connection.pointee.want = want
        kernelKeepsFileTimes = want & UInt32(FUSE_CAP_WRITEBACK_CACHE) != 0
        connection.pointee.max_write = Self.maximumTransfer
        // The session's `-o max_read=N` (0: none): libfuse refuses an init that says otherwise.
        connection.pointee.max_read = maximumRead
        connection.pointee.max_background = 64
        connection.pointee.congestion_threshold = 48
        connection.pointee.time_gran = 1
        // The readahead is raised by `onInitialized` before this reply; the kernel keeps the
        // smaller of the mount's value and this one (ReadaheadTuner).
        connection.pointee.max_readahead = ReadaheadTuner.bytes
        onInitialized?()
    }
}
