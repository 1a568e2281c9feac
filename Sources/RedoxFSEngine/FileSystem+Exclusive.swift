/// Grouping several public calls into one step, for front ends that serve concurrent requests
/// (the FUSE mount).
extension FileSystemEngine {
    /// Runs `body` holding the engine's lock, so that the public calls it makes (a lookup and the
    /// node load that follows, say) see no other thread's changes in between. The lock is
    /// recursive: `body` may call any public method. This is not an operation of its own: each
    /// changing call inside is one (and commits, or is undone, by itself).
    ///
    /// A commit made inside lets readers (`shared`) in while it waits for the device (see
    /// `writeCommitToDevice`): they may see the state between two changing calls of `body` that
    /// has just been committed, never a half-made change. No other `exclusively` body runs
    /// meanwhile.
    public func exclusively<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try lock.locked(body)
    }

    /// Runs `body` holding the engine's lock shared: other `shared` bodies run at the same time,
    /// changing calls wait. `body` may call the reading public methods only (lookups, nodes,
    /// entries, content, links, statistics, the clock); asking for a change inside stops the
    /// process (it would deadlock). The calls see no change made in between. (`statistics` and
    /// `availableBlocks` on a read-only file system build its free-space map exclusively the
    /// first time: call them outside `shared` there.)
    public func shared<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try lock.sharedLocked(body)
    }

    /// Whether the open transaction holds changes not yet committed.
    public var hasUncommittedChanges: Bool {
        lock.sharedLocked { isWritable && hasPendingChanges }
    }

    /// The number of open handles recorded on node `id` (`retain` minus `releaseHandle`).
    public func openHandleCount(_ id: UInt32) -> Int {
        lock.sharedLocked { openCounts[id, default: 0] }
    }

    /// How many records writes have formed since the file system was opened: each a record's
    /// new content merged, tried with LZ4 and stored (prepared ahead or not, used or not). A
    /// figure for tests and benchmarks: how often small writes remake the same record.
    public var recordFormations: UInt64 {
        lock.guarded { formedRecords }
    }

    /// How many of `recordFormations` tried LZ4 on the whole record: all of level 1 or more
    /// but rewrites of a plain record that stay incompressible (`CompressionOutlook`).
    public var recordCompressionTries: UInt64 {
        lock.guarded { compressionTries }
    }
}
