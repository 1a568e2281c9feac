import RedoxFSFormat

/// When reading a node updates its access time: the mount options `relatime` (the default),
/// `noatime` and `strictatime`.
public enum AccessTimePolicy: String, Sendable, CaseIterable {
    /// Update atime when it is not later than mtime or ctime, or is a day old (Linux's relatime).
    case relative = "relatime"
    /// Never update atime on reads.
    case never = "noatime"
    /// Update atime on every read.
    case strict = "strictatime"
}

/// The three times as POSIX defines them (the format's fields; upstream only ever sets ctime at
/// creation, spec §13.4, which stays true of upstream's images): ctime moves on every change of a
/// node's metadata or content, mtime on every change of content (a directory's content is its
/// entries), atime on reads as the `AccessTimePolicy` says.
extension Node {
    /// Marks a change of the node's status (mode, owner, links, times): ctime = `now`.
    mutating func markChanged(at now: Timestamp) {
        ctime = now.seconds
        ctimeNanoseconds = now.nanoseconds
    }

    /// Marks a change of the node's content (data, size, directory entries): mtime = ctime = `now`.
    mutating func markModified(at now: Timestamp) {
        mtime = now.seconds
        mtimeNanoseconds = now.nanoseconds
        markChanged(at: now)
    }

    /// Whether a read at `now` moves atime under `policy`.
    public func needsAccessUpdate(at now: Timestamp, policy: AccessTimePolicy) -> Bool {
        let access = (atime, atimeNanoseconds)
        guard (now.seconds, now.nanoseconds) > access else { return false }
        switch policy {
        case .never: return false
        case .strict: return true
        case .relative:
            return access <= (mtime, mtimeNanoseconds) || access <= (ctime, ctimeNanoseconds)
                || now.seconds >= atime &+ Self.relativeAccessInterval
        }
    }

    /// Seconds after which relatime updates atime even when nothing changed (one day, as Linux).
    static var relativeAccessInterval: UInt64 { 24 * 60 * 60 }
}

extension FileSystemEngine {
    /// Marks directory `directory` as changed by an entry added, removed or renamed in it.
    func markEntriesChanged(_ directory: inout Node) {
        directory.markModified(at: clockSource())
    }

    /// Marks node `id`'s status as changed now and saves it (a link added or removed, a rename).
    func markStatusChanged(_ id: UInt32) throws(FileSystemError) {
        var node = try loadNode(id)
        node.markChanged(at: clockSource())
        try saveNode(id, node)
    }

    /// Records a read of node `id` (file content or a directory listing): moves its atime to now
    /// when `policy` says so, without touching ctime. Returns the node as it is afterwards.
    /// Does nothing on a read-only file system.
    @discardableResult
    public func recordAccess(_ id: UInt32, policy: AccessTimePolicy) throws(FileSystemError) -> Node {
        guard isWritable else { return try node(id) }
        return try transaction { () throws(FileSystemError) in
            var node = try loadNode(id)
            let now = clockSource()
            guard node.needsAccessUpdate(at: now, policy: policy) else { return node }
            node.atime = now.seconds
            node.atimeNanoseconds = now.nanoseconds
            try saveNode(id, node)
            return node
        }
    }
}
