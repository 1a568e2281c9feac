/// Overlapped commits, for bulk writers such as `redoxfs-ar`: each commit writes its blocks and
/// asks the device to start writing them back, but leaves its header (and the flushes around it)
/// to the start of the next commit. The device then writes one commit's blocks while the caller
/// builds the next, instead of the caller waiting for every flush.
///
/// Crash safety is kept: a header still goes out only after a flush of its blocks, and the next
/// commit writes nothing before that header is durable (so blocks the pending commit freed are
/// never overwritten while an older header may still be the newest on disk). What changes is
/// when a commit becomes durable: once the next commit has started, or after
/// `writePendingHeader()` or `unmount()`. A crash before that brings back the commit before it.
extension FileSystemEngine {
    /// Whether commits leave their header to the next commit (see above). Off by default; turn
    /// it off and call `writePendingHeader()` to make the last commit durable.
    public var overlapsCommits: Bool {
        get { lock.sharedLocked { overlapStorage } }
        set { lock.locked { overlapStorage = newValue } }
    }

    /// Whether the commits the engine makes on its own (the write cache's threshold, low free
    /// space) overlap as above, while commits asked for (`commit`, `sync`) stay durable when they
    /// return, together with a header an automatic commit left pending. Off by default. A mount
    /// sets it: a long writeback (an fsync of many dirty pages) then forms records while the
    /// device writes the blocks of the last 32 MiB, instead of waiting for each flush.
    public var overlapsAutomaticCommits: Bool {
        get { lock.sharedLocked { automaticOverlapStorage } }
        set { lock.locked { automaticOverlapStorage = newValue } }
    }

    /// Whether a commit's header is still waiting to be written.
    public var hasPendingHeader: Bool { lock.sharedLocked { pendingHeader != nil } }

    /// Writes the header the last overlapped commit left pending (flush, header, flush), making
    /// that commit durable; does nothing when none is pending.
    public func writePendingHeader() throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            try requireWritable()
            try writePendingHeaderLocked()
        }
    }

    /// The most bytes of clean (committed) blocks the block cache keeps (64 MiB by default);
    /// a bulk writer that rarely reads back what it wrote can keep less and commit less often.
    public var cleanCacheBytes: Int {
        get { lock.sharedLocked { cache.capacityBytes } }
        set { lock.locked { cache.capacityBytes = max(0, newValue) } }
    }
}
