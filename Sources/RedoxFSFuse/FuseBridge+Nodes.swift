#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// Flags of renameat2 (linux/fs.h).
enum RenameFlags {
    static let noReplace: UInt32 = 1
    static let exchange: UInt32 = 2
}

/// Requests about names and nodes: lookup, attributes, making and removing names, links.
extension FuseBridge {
    func lookup(_ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?) {
        serve(request, "lookup") { () throws(FileSystemError) in
            let bytes = try self.name(name)
            // A node not cached is read with the nodes of the names after it in the directory's
            // leaf (`findNode`): a cold stat of each file of a directory reads them in a few
            // gathered reads instead of one read per lookup.
            let found: (id: UInt32, node: Node)? = try fileSystem.shared { () throws(FileSystemError) in
                let directory = try resolveDirectory(parent)
                return try fileSystem.findNode(bytes, in: directory.node)
            }
            if let found {
                // Writes into the file the mount answered but still holds may grow it and
                // allocate blocks: handed over first, as GETATTR does (`holds` spares the
                // settling's locks for all other files).
                if coalescer.holds(node: found.id) {
                    var reply = try settledEntry(for: found.id)
                    fuse_reply_entry(request, &reply)
                } else {
                    var reply = entry(for: found.id, found.node)
                    fuse_reply_entry(request, &reply)
                }
            } else {
                // A negative entry the kernel may cache: only this mount changes the file system.
                var reply = fuse_entry_param()
                reply.entry_timeout = cacheSeconds
                fuse_reply_entry(request, &reply)
            }
        }
    }

    /// The entry reply for node `id` after its held writes are handed over.
    private func settledEntry(for id: UInt32) throws(FileSystemError) -> fuse_entry_param {
        let handle = inodes.handle(for: id)
        settleWrites(handle)
        let settled = try fileSystem.shared { () throws(FileSystemError) in try resolve(handle) }
        return entry(for: settled.id, settled.node)
    }

    func getattr(_ request: fuse_req_t?, inode: fuse_ino_t) {
        serve(request, "getattr") { () throws(FileSystemError) in
            settleWrites(inode)
            let resolved = try fileSystem.shared { () throws(FileSystemError) in try resolve(inode) }
            var attributes = NodeAttributes.stat(of: resolved.node, id: resolved.id)
            fuse_reply_attr(request, &attributes, cacheSeconds)
        }
    }

    /// A change of the size is a change of the inode for `RecordPageStore`.
    func setattr(_ request: fuse_req_t?, inode: fuse_ino_t, attributes: UnsafeMutablePointer<stat>?, toSet: Int32) {
        guard toSet & FUSE_SET_ATTR_SIZE != 0, let attributes else {
            return setAttributes(request, inode: inode, attributes: attributes, toSet: toSet)
        }
        var wanted = attributes.pointee
        pageStore.changing(inode) {
            withUnsafeMutablePointer(to: &wanted) { self.setAttributes(request, inode: inode, attributes: $0, toSet: toSet) }
        }
    }

    func setAttributes(_ request: fuse_req_t?, inode: fuse_ino_t, attributes: UnsafeMutablePointer<stat>?, toSet: Int32) {
        serve(request, "setattr") { () throws(FileSystemError) in
            guard let attributes else { throw .invalidArgument("setattr without attributes") }
            let wanted = attributes.pointee
            var changes = AttributeChanges()
            if toSet & FUSE_SET_ATTR_MODE != 0 { changes.permissions = UInt16(truncatingIfNeeded: wanted.st_mode) & Node.modePermissionMask }
            if toSet & FUSE_SET_ATTR_UID != 0 { changes.uid = wanted.st_uid }
            if toSet & FUSE_SET_ATTR_GID != 0 { changes.gid = wanted.st_gid }
            if toSet & FUSE_SET_ATTR_SIZE != 0 {
                guard wanted.st_size >= 0 else { throw .invalidArgument("negative size") }
                changes.size = UInt64(wanted.st_size)
            }
            let now = fileSystem.clock()
            if toSet & FUSE_SET_ATTR_ATIME_NOW != 0 {
                changes.accessTime = now
            } else if toSet & FUSE_SET_ATTR_ATIME != 0 {
                changes.accessTime = Timestamp(wanted.st_atim)
            }
            if toSet & FUSE_SET_ATTR_MTIME_NOW != 0 {
                changes.modificationTime = now
            } else if toSet & FUSE_SET_ATTR_MTIME != 0 {
                changes.modificationTime = Timestamp(wanted.st_mtim)
            }
            // The kernel's writeback cache keeps ctime itself and sends it; otherwise the engine
            // sets ctime to now for any change.
            if toSet & FUSE_SET_ATTR_CTIME != 0 { changes.changeTime = Timestamp(wanted.st_ctim) }
            // The writeback cache flushes the times of an inode it still holds after its last
            // name went (and with it the node): nothing is left to change, and an error here
            // would surface as a failed syncfs, so the times are acknowledged as sent.
            let timeBits: Int32 = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_CTIME
                | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW
            let timesOnly: Bool = toSet & ~timeBits == 0
            settleWrites(inode)
            func replyGone() {
                var reply = wanted
                reply.st_ino = ino_t(inode)
                reply.st_nlink = 0
                if reply.st_mode & S_IFMT == 0 { reply.st_mode |= S_IFREG }
                fuse_reply_attr(request, &reply, 0)
            }
            /// The node, or nil when it is gone and only times were sent.
            func resolveUnlessGone() throws(FileSystemError) -> (id: UInt32, node: Node)? {
                do throws(FileSystemError) {
                    return try resolve(inode)
                } catch {
                    if timesOnly, case .format(.noSuchNode) = error { return nil }
                    throw error
                }
            }
            // The writeback cache flushes times at once after a link, unlink or rename of a file
            // (its ctime), an O_TRUNC open or an extending fallocate: when the daemon stamped the
            // same tick, or the node is gone, nothing is left to write, and the reply comes from
            // under the shared lock. (An engine whose commit failed would refuse the exclusive
            // path; a change that changes nothing is acknowledged all the same.)
            if timesOnly, changes.changeTime != nil, fileSystem.isWritable {
                let current = try fileSystem.shared { () throws(FileSystemError) in try resolveUnlessGone() }
                guard let current else { return replyGone() }
                if changes.leavesUnchanged(current.node) {
                    var reply = NodeAttributes.stat(of: current.node, id: current.id)
                    fuse_reply_attr(request, &reply, cacheSeconds)
                    return
                }
            }
            let changed = try fileSystem.exclusively { () throws(FileSystemError) -> (id: UInt32, node: Node)? in
                guard let current = try resolveUnlessGone() else { return nil }
                return (current.id, try fileSystem.setAttributes(current.id, changes))
            }
            guard let changed else { return replyGone() }
            var reply = NodeAttributes.stat(of: changed.node, id: changed.id)
            fuse_reply_attr(request, &reply, cacheSeconds)
        }
    }

    func readlink(_ request: fuse_req_t?, inode: fuse_ino_t) {
        serve(request, "readlink") { () throws(FileSystemError) in
            var target = try fileSystem.shared { () throws(FileSystemError) in
                try fileSystem.readLink(try resolve(inode).id)
            }
            guard !target.contains(0) else { throw .format(.malformed(.record, block: 0, .fieldOutOfRange)) }
            target.append(0)
            target.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { _ = fuse_reply_readlink(request, $0.baseAddress) }
            }
        }
    }

    /// Makes a node of `mode` (type and permission bits) named `name` in `parent`, owned by the caller.
    func make(_ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?, mode: UInt16) throws(FileSystemError) -> (id: UInt32, node: Node) {
        let bytes = try self.name(name)
        return try fileSystem.exclusively { () throws(FileSystemError) in
            let (parentID, parentNode) = try resolveDirectory(parent)
            let isDirectory = mode & Node.modeTypeMask == NodeKind.directory.rawValue
            let owner = newOwnership(request, parent: parentNode, directory: isDirectory)
            let id = try fileSystem.create(bytes, in: parentID, mode: mode | owner.extraMode, uid: owner.uid, gid: owner.gid)
            inodes.assignTag(to: id)
            return (id, try fileSystem.node(id))
        }
    }

    /// mknod: regular files, FIFOs, sockets, character and block devices (the device number is
    /// kept with the node).
    func mknod(_ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?, mode: mode_t, device: dev_t) {
        serve(request, "mknod") { () throws(FileSystemError) in
            let type = mode & mode_t(Glibc.S_IFMT)
            let permissions = UInt16(mode & 0o7777)
            let made: (id: UInt32, node: Node)
            switch type {
            case mode_t(Glibc.S_IFREG), 0:
                made = try make(request, parent: parent, name: name, mode: NodeKind.file.rawValue | permissions)
            case mode_t(Glibc.S_IFIFO), mode_t(Glibc.S_IFSOCK), mode_t(Glibc.S_IFCHR), mode_t(Glibc.S_IFBLK):
                guard let kind = NodeKind(rawValue: UInt16(type)) else { throw .system(operation: "mknod", path: "", errno: EINVAL) }
                let bytes = try self.name(name)
                made = try fileSystem.exclusively { () throws(FileSystemError) in
                    let (parentID, parentNode) = try resolveDirectory(parent)
                    let owner = newOwnership(request, parent: parentNode, directory: false)
                    let id = try fileSystem.createSpecial(
                        bytes, in: parentID, kind: kind, permissions: permissions, device: DeviceNumber(linuxValue: UInt64(device)),
                        uid: owner.uid, gid: owner.gid)
                    inodes.assignTag(to: id)
                    return (id, try fileSystem.node(id))
                }
            default:
                throw .system(operation: "mknod", path: "", errno: EINVAL)
            }
            var reply = entry(for: made.id, made.node)
            fuse_reply_entry(request, &reply)
        }
    }

    func mkdir(_ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?, mode: mode_t) {
        serve(request, "mkdir") { () throws(FileSystemError) in
            let made = try make(request, parent: parent, name: name, mode: NodeKind.directory.rawValue | UInt16(mode & 0o7777))
            var reply = entry(for: made.id, made.node)
            fuse_reply_entry(request, &reply)
        }
    }

    func symlink(_ request: fuse_req_t?, target: UnsafePointer<CChar>?, parent: fuse_ino_t, name: UnsafePointer<CChar>?) {
        serve(request, "symlink") { () throws(FileSystemError) in
            guard let target else { throw .invalidArgument("missing symlink target") }
            let targetBytes = target.withMemoryRebound(to: UInt8.self, capacity: strlen(target)) {
                Array(UnsafeBufferPointer(start: $0, count: strlen(target)))
            }
            let bytes = try self.name(name)
            let made = try fileSystem.exclusively { () throws(FileSystemError) -> (UInt32, Node) in
                let (parentID, parentNode) = try resolveDirectory(parent)
                let owner = newOwnership(request, parent: parentNode, directory: false)
                let id = try fileSystem.createSymlink(bytes, in: parentID, target: targetBytes, uid: owner.uid, gid: owner.gid)
                inodes.assignTag(to: id)
                return (id, try fileSystem.node(id))
            }
            var reply = entry(for: made.0, made.1)
            fuse_reply_entry(request, &reply)
        }
    }

    func unlink(_ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?) {
        serve(request, "unlink") { () throws(FileSystemError) in
            let bytes = try self.name(name)
            try fileSystem.exclusively { () throws(FileSystemError) in
                try fileSystem.unlink(bytes, in: try resolveID(parent))
            }
            fuse_reply_err(request, 0)
        }
    }

    func rmdir(_ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?) {
        serve(request, "rmdir") { () throws(FileSystemError) in
            let bytes = try self.name(name)
            try fileSystem.exclusively { () throws(FileSystemError) in
                try fileSystem.removeDirectory(bytes, in: try resolveID(parent))
            }
            fuse_reply_err(request, 0)
        }
    }

    func rename(
        _ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?,
        newParent: fuse_ino_t, newName: UnsafePointer<CChar>?, flags: UInt32
    ) {
        serve(request, "rename") { () throws(FileSystemError) in
            let mode: RenameMode
            switch flags {
            case 0: mode = .replace
            case RenameFlags.noReplace: mode = .noReplace
            case RenameFlags.exchange: mode = .exchange
            default: throw .system(operation: "rename", path: "", errno: EINVAL)  // RENAME_WHITEOUT, combinations
            }
            let oldBytes = try self.name(name)
            let newBytes = try self.name(newName)
            try fileSystem.exclusively { () throws(FileSystemError) in
                let from = try resolveDirectory(parent).id
                let to = try resolveDirectory(newParent).id
                try fileSystem.rename(oldBytes, in: from, to: newBytes, in: to, mode: mode)
            }
            fuse_reply_err(request, 0)
        }
    }

    func link(_ request: fuse_req_t?, inode: fuse_ino_t, newParent: fuse_ino_t, newName: UnsafePointer<CChar>?) {
        serve(request, "link") { () throws(FileSystemError) in
            let bytes = try self.name(newName)
            settleWrites(inode)  // the reply carries the size and blocks
            let (id, node) = try fileSystem.exclusively { () throws(FileSystemError) in
                let id = try resolve(inode).id
                try fileSystem.link(id, as: bytes, in: try resolveDirectory(newParent).id)
                return (id, try fileSystem.node(id))
            }
            var reply = entry(for: id, node)
            fuse_reply_entry(request, &reply)
        }
    }
}
