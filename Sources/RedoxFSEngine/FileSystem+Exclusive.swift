/// Grouping several public calls into one step, for front ends that serve concurrent requests
/// (the FUSE mount).
extension FileSystemEngine {
    /// Runs `body` holding the engine's lock, so that the public calls it makes (a lookup and the
    /// node load that follows, say) see no other thread's changes in between. The lock is
    /// recursive: `body` may call any public method. This is not an operation of its own: each
    /// changing call inside is one (and commits, or is undone, by itself).
    public func exclusively<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try lock.locked(body)
    }

    /// Whether the open transaction holds changes not yet committed.
    public var hasUncommittedChanges: Bool {
        lock.locked { isWritable && hasPendingChanges }
    }

    /// The number of open handles recorded on node `id` (`retain` minus `releaseHandle`).
    public func openHandleCount(_ id: UInt32) -> Int {
        lock.locked { openCounts[id, default: 0] }
    }
}
