import RedoxFSFormat

/// Attribute changes for `setAttributes`; nil fields stay as they are.
public struct AttributeChanges: Sendable {
    /// Permission bits (the low 12 bits are used).
    public var permissions: UInt16?
    public var uid: UInt32?
    public var gid: UInt32?
    public var size: UInt64?
    public var accessTime: Timestamp?
    public var modificationTime: Timestamp?
    /// An explicit ctime (tools copying a tree, the kernel's writeback cache); without it any
    /// change sets ctime to now.
    public var changeTime: Timestamp?

    public init(
        permissions: UInt16? = nil, uid: UInt32? = nil, gid: UInt32? = nil, size: UInt64? = nil,
        accessTime: Timestamp? = nil, modificationTime: Timestamp? = nil, changeTime: Timestamp? = nil
    ) {
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.size = size
        self.accessTime = accessTime
        self.modificationTime = modificationTime
        self.changeTime = changeTime
    }

    /// Whether applying these changes to `node` would leave it as it is: no size, and every
    /// other field given equal to the node's, with an explicit `changeTime` equal to its ctime
    /// (without one, any change sets ctime to now). The kernel's writeback cache sends such
    /// changes when it flushes times it holds that did not move.
    public func leavesUnchanged(_ node: Node) -> Bool {
        guard size == nil, let changeTime, changeTime == Timestamp(seconds: node.ctime, nanoseconds: node.ctimeNanoseconds)
        else { return false }
        if let permissions, permissions & Node.modePermissionMask != node.mode & Node.modePermissionMask { return false }
        if let uid, uid != node.uid { return false }
        if let gid, gid != node.gid { return false }
        if let accessTime, accessTime != Timestamp(seconds: node.atime, nanoseconds: node.atimeNanoseconds) { return false }
        if let modificationTime, modificationTime != Timestamp(seconds: node.mtime, nanoseconds: node.mtimeNanoseconds) {
            return false
        }
        return true
    }
}

/// How `rename` treats an existing target.
public enum RenameMode: Sendable {
    /// Replace the target where POSIX allows.
    case replace
    /// Fail with EEXIST when the target exists.
    case noReplace
    /// Swap the two names (both must exist).
    case exchange
}

/// The operations of the file system. Each runs inside the open transaction; `sync` commits.
extension FileSystemEngine {
    static func refuse(_ code: Int32, _ operation: String, _ name: [UInt8]) -> FileSystemError {
        .system(operation: operation, path: String(decoding: name, as: UTF8.self), errno: code)
    }

    func checkName(_ name: [UInt8], _ operation: String) throws(FileSystemError) {
        guard name.count <= RedoxFS.maxNameLength else { throw Self.refuse(POSIXCode.ENAMETOOLONG, operation, name) }
        guard DirectoryEntry.isValidName(name), name != [0x2E], name != [0x2E, 0x2E] else {
            throw Self.refuse(POSIXCode.EINVAL, operation, name)
        }
    }

    func loadDirectory(_ id: UInt32) throws(FileSystemError) -> Node {
        let node = try loadNode(id)
        guard node.isDirectory else { throw .format(.notDirectory) }
        return node
    }

    /// Creates a node named `name` in directory `parent` with `mode` (type and permission bits)
    /// and returns its id. Regular files, directories, symbolic links (empty; write the target),
    /// FIFOs and sockets can be made (device nodes, with their numbers: `createSpecial`).
    public func create(
        _ name: [UInt8], in parent: UInt32, mode: UInt16, uid: UInt32, gid: UInt32, time: Timestamp? = nil
    ) throws(FileSystemError) -> UInt32 {
        try transaction { () throws(FileSystemError) in
            try requireWritable()
            try checkName(name, "create")
            guard NodeKind(rawValue: mode & Node.modeTypeMask) != nil else { throw Self.refuse(POSIXCode.EINVAL, "create", name) }
            var directory = try loadDirectory(parent)
            if try findEntry(name, in: parent) != nil { throw Self.refuse(POSIXCode.EEXIST, "create", name) }
            let now = time ?? clockSource()
            var node = Node(mode: mode, uid: uid, gid: gid, seconds: now.seconds, nanoseconds: now.nanoseconds)
            node.links = 1
            applyRecordSize(nil, to: &node)
            let id = try insertNode(node)
            try insertEntry(DirectoryEntry(nodeID: id, name: name), into: &directory)
            markEntriesChanged(&directory)
            try saveNode(parent, directory)
            return id
        }
    }

    /// Creates a symbolic link `name` → `target` in `parent`.
    public func createSymlink(
        _ name: [UInt8], in parent: UInt32, target: [UInt8], uid: UInt32, gid: UInt32,
        permissions: UInt16 = 0o777, time: Timestamp? = nil
    ) throws(FileSystemError) -> UInt32 {
        try transaction { () throws(FileSystemError) in
            let id = try create(name, in: parent, mode: NodeKind.symlink.rawValue | (permissions & 0o7777), uid: uid, gid: gid, time: time)
            var node = try loadNode(id)
            try withRawBytes(target) { (raw) throws(FileSystemError) in _ = try writeContent(raw, at: 0, to: &node) }
            try saveNode(id, node)
            return id
        }
    }

    /// Adds the name `name` in `parent` for existing node `id` (a hard link).
    public func link(_ id: UInt32, as name: [UInt8], in parent: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            try requireWritable()
            try checkName(name, "link")
            var node = try loadNode(id)
            guard !node.isDirectory else { throw Self.refuse(POSIXCode.EPERM, "link", name) }
            guard node.links < UInt32.max else { throw Self.refuse(POSIXCode.EMLINK, "link", name) }
            var directory = try loadDirectory(parent)
            if try findEntry(name, in: parent) != nil { throw Self.refuse(POSIXCode.EEXIST, "link", name) }
            try insertEntry(DirectoryEntry(nodeID: id, name: name), into: &directory)
            markEntriesChanged(&directory)
            node.links += 1
            node.markChanged(at: clockSource())
            try saveNode(id, node)
            try saveNode(parent, directory)
        }
    }

    /// Removes the name of a non-directory.
    public func unlink(_ name: [UInt8], in parent: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in try removeName(name, in: parent, directory: false) }
    }

    /// Removes an empty directory.
    public func removeDirectory(_ name: [UInt8], in parent: UInt32) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in try removeName(name, in: parent, directory: true) }
    }

    private func removeName(_ name: [UInt8], in parent: UInt32, directory expectDirectory: Bool) throws(FileSystemError) {
        try requireWritable()
        useReserve()
        let operation = expectDirectory ? "rmdir" : "unlink"
        // One pass over the leaf finds and removes the name; a refusal below undoes it with the
        // rest of the operation (the transaction restores what it changed).
        var dir = try loadDirectory(parent)
        guard let id = try removeEntry(named: name, from: &dir) else { throw Self.refuse(POSIXCode.ENOENT, operation, name) }
        // Not kept decoded: the usual outcome frees its block. A refused call leaves the node
        // undecoded; a node with another link is saved anew, and the save keeps it decoded.
        let node = try loadNode(id, remembering: false)
        if expectDirectory {
            guard node.isDirectory else { throw Self.refuse(POSIXCode.ENOTDIR, operation, name) }
            guard node.size == 0, node.levelPointer(0).isZero else { throw Self.refuse(POSIXCode.ENOTEMPTY, operation, name) }
        } else if node.isDirectory {
            throw Self.refuse(POSIXCode.EISDIR, operation, name)
        }
        markEntriesChanged(&dir)
        try dropLink(id, node, saving: (parent, dir))
    }

    /// Decrements node `id`'s link count; at zero deletes it, or queues it in the release list
    /// while it is open. `loaded`: the node as loaded in this operation, when its tree path has
    /// not been rewritten since (saves loading it again). `directory`: the directory that lost
    /// the name, saved here (with the node's removal in one tree rewrite when it goes).
    func dropLink(_ id: UInt32, _ loaded: Node? = nil, saving directory: (id: UInt32, node: Node)? = nil)
        throws(FileSystemError) {
        var node: Node
        if let loaded { node = loaded } else { node = try loadNode(id) }
        node.links -= min(node.links, 1)
        node.markChanged(at: clockSource())
        if node.links > 0 || openCounts[id, default: 0] > 0 {
            if let directory { try saveNode(directory.id, directory.node) }
            try saveNode(id, node)
            if node.links == 0 { try addToReleaseList(id) }
        } else {
            try deleteNode(id, node, saving: directory)
        }
    }

    /// Frees a node's content, its tree slot and its block; `directory` as for `dropLink`.
    func deleteNode(_ id: UInt32, _ node: Node, saving directory: (id: UInt32, node: Node)? = nil)
        throws(FileSystemError) {
        var node = node
        if node.isDirectory {
            // Only empty directories are deleted; nothing below them remains.
            node.setLevelPointer(0, .null)
            node.setLevelPointer(1, .null)
        } else {
            try truncateContent(&node, to: 0)
        }
        if let directory {
            try saveNode(directory.id, directory.node, removingNode: id)
        } else {
            try removeNode(id)
        }
    }

    /// Renames `name` in `parent` to `newName` in `newParent`.
    public func rename(
        _ name: [UInt8], in parent: UInt32, to newName: [UInt8], in newParent: UInt32, mode: RenameMode = .replace
    ) throws(FileSystemError) {
        try transaction { () throws(FileSystemError) in
            try requireWritable()
            try checkName(newName, "rename")
            guard let source = try findEntry(name, in: parent) else { throw Self.refuse(POSIXCode.ENOENT, "rename", name) }
            let target = try findEntry(newName, in: newParent)
            let sourceNode = try loadNode(source)
            if sourceNode.isDirectory, parent != newParent || target != nil,
               try isWithin(newParent, directory: source) {
                throw Self.refuse(POSIXCode.EINVAL, "rename", newName)
            }
            if mode == .exchange {
                guard let target else { throw Self.refuse(POSIXCode.ENOENT, "rename", newName) }
                if target == source { return }
                if try loadNode(target).isDirectory, try isWithin(parent, directory: target) {
                    throw Self.refuse(POSIXCode.EINVAL, "rename", name)
                }
                try replaceEntry(name, in: parent, with: target)
                try replaceEntry(newName, in: newParent, with: source)
                try markStatusChanged(source)
                try markStatusChanged(target)
                return
            }
            if let target {
                if target == source { return }
                if mode == .noReplace { throw Self.refuse(POSIXCode.EEXIST, "rename", newName) }
                useReserve()
                let targetNode = try loadNode(target)
                if sourceNode.isDirectory {
                    guard targetNode.isDirectory else { throw Self.refuse(POSIXCode.ENOTDIR, "rename", newName) }
                    guard targetNode.size == 0 else { throw Self.refuse(POSIXCode.ENOTEMPTY, "rename", newName) }
                } else if targetNode.isDirectory {
                    throw Self.refuse(POSIXCode.EISDIR, "rename", newName)
                }
                try replaceEntry(newName, in: newParent, with: source)
                try dropLink(target)
                var dir = try loadDirectory(parent)
                _ = try removeEntry(named: name, from: &dir)
                markEntriesChanged(&dir)
                try saveNode(parent, dir)
                try markStatusChanged(source)
                return
            }
            var destination = try loadDirectory(newParent)
            try insertEntry(DirectoryEntry(nodeID: source, name: newName), into: &destination)
            markEntriesChanged(&destination)
            try saveNode(newParent, destination)
            var dir = try loadDirectory(parent)
            _ = try removeEntry(named: name, from: &dir)
            markEntriesChanged(&dir)
            try saveNode(parent, dir)
            try markStatusChanged(source)
        }
    }

    /// Points the existing entry `name` of `parent` at node `id` (remove then add).
    private func replaceEntry(_ name: [UInt8], in parent: UInt32, with id: UInt32) throws(FileSystemError) {
        var dir = try loadDirectory(parent)
        _ = try removeEntry(named: name, from: &dir)
        try insertEntry(DirectoryEntry(nodeID: id, name: name), into: &dir)
        markEntriesChanged(&dir)
        try saveNode(parent, dir)
    }

    /// Whether `candidate` is `directory` or lies below it (the format keeps no parent links,
    /// so this walks the subtree).
    func isWithin(_ candidate: UInt32, directory: UInt32) throws(FileSystemError) -> Bool {
        var stack = [directory]
        var seen: Set<UInt32> = []
        while let id = stack.popLast() {
            if id == candidate { return true }
            guard seen.insert(id).inserted else { continue }
            let node = try loadNode(id)
            guard node.isDirectory else { continue }
            for entry in try withReader({ (reader) throws(FormatError) in try reader.entries(of: node) }) {
                if entry.nodeID == candidate { return true }
                if try loadNode(entry.nodeID).isDirectory { stack.append(entry.nodeID) }
            }
        }
        return false
    }

    /// Writes `bytes` at `offset` of node `id`; returns the number written. Each 4 MiB piece is an
    /// operation of its own (so a long write may commit between pieces); when a piece fails
    /// after others succeeded, the write is short. `prepared`: `prepareWrite`'s result for these
    /// same bytes, used where it still applies. `touchingTimes`: whether mtime and ctime move to
    /// now (false where someone else keeps them: the kernel's writeback cache sends its own, at
    /// the latest at close, fsync or its next writeback of the inode; a commit before that keeps
    /// the new content with the node's earlier times).
    @discardableResult
    public func write(
        _ id: UInt32, at offset: UInt64, _ bytes: UnsafeRawBufferPointer, prepared: PreparedRecordWrite? = nil,
        touchingTimes: Bool = true
    ) throws(FileSystemError) -> Int {
        defer { if let prepared { releaseClaim(of: prepared) } }
        return try lock.locked { () throws(FileSystemError) in
            try requireWritable()
            let chunk = max(1, writePieceBytes)
            var done = 0
            while done < bytes.count {
                let count = min(chunk, bytes.count - done)
                do throws(FileSystemError) {
                    try transaction { () throws(FileSystemError) in
                        var node = try loadNode(id)
                        guard !node.isDirectory else { throw .system(operation: "write", path: "node \(id)", errno: POSIXCode.EISDIR) }
                        guard node.kind?.isSpecial != true else { throw .system(operation: "write", path: "node \(id)", errno: POSIXCode.EINVAL) }
                        let part = UnsafeRawBufferPointer(rebasing: bytes[done..<done + count])
                        let ahead = prepared.flatMap { $0.isWrite(of: id, at: offset + UInt64(done), count: count) ? $0 : nil }
                        if try writeContent(part, at: offset + UInt64(done), to: &node, prepared: ahead) {
                            if touchingTimes { touchModification(&node) }
                            try saveNode(id, node)
                        }
                    }
                } catch {
                    // A short write is reported as such; an error before any byte (or one that
                    // leaves the durable state unknown) is the error.
                    if done > 0 && failure == nil { return done }
                    throw error
                }
                done += count
            }
            return bytes.count
        }
    }

    /// Writes `bytes` at `offset` of node `id`.
    @discardableResult
    public func write(_ id: UInt32, at offset: UInt64, _ bytes: [UInt8]) throws(FileSystemError) -> Int {
        try withRawBytes(bytes) { (raw) throws(FileSystemError) in try write(id, at: offset, raw) }
    }

    /// Sets node `id`'s size (shrinking frees records; growing reads as zeros).
    public func truncate(_ id: UInt32, to size: UInt64) throws(FileSystemError) {
        try setAttributes(id, AttributeChanges(size: size))
    }

    /// Changes node `id`'s attributes; returns the updated node.
    @discardableResult
    public func setAttributes(_ id: UInt32, _ changes: AttributeChanges) throws(FileSystemError) -> Node {
        try transaction { () throws(FileSystemError) in
            try requireWritable()
            var node = try loadNode(id)
            if changes.leavesUnchanged(node) { return node }
            var changed = changes.permissions != nil || changes.uid != nil || changes.gid != nil
                || changes.accessTime != nil || changes.modificationTime != nil
            if let size = changes.size {
                guard !node.isDirectory else { throw .system(operation: "truncate", path: "node \(id)", errno: POSIXCode.EISDIR) }
                guard node.kind?.isSpecial != true else { throw .system(operation: "truncate", path: "node \(id)", errno: POSIXCode.EINVAL) }
                guard size / node.recordSize < RecordPath.recordLimit else {
                    throw .system(operation: "truncate", path: "node \(id)", errno: POSIXCode.EFBIG)
                }
                if size != node.size {
                    if size < node.size { useReserve() }
                    try truncateContent(&node, to: size)
                    touchModification(&node)
                    changed = true
                }
            }
            if let permissions = changes.permissions {
                node.mode = node.mode & Node.modeTypeMask | permissions & Node.modePermissionMask
            }
            if let uid = changes.uid { node.uid = uid }
            if let gid = changes.gid { node.gid = gid }
            if let time = changes.accessTime {
                node.atime = time.seconds
                node.atimeNanoseconds = time.nanoseconds
            }
            if let time = changes.modificationTime {
                node.mtime = time.seconds
                node.mtimeNanoseconds = time.nanoseconds
            }
            if let time = changes.changeTime {
                node.markChanged(at: time)
            } else if changed {
                node.markChanged(at: clockSource())
            }
            try saveNode(id, node)
            return node
        }
    }

    /// Marks a change of content: mtime and ctime to now (POSIX; upstream only moves mtime forward).
    func touchModification(_ node: inout Node) {
        node.markModified(at: clockSource())
    }

    /// Commits the open transaction and makes it durable (an overlapped commit's header too).
    public func sync() throws(FileSystemError) {
        try commit()
        try writePendingHeader()
    }
}
