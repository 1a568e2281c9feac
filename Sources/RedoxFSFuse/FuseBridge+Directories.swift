#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// Requests on directories and on the file system as a whole.
extension FuseBridge {
    func opendir(_ request: fuse_req_t?, inode: fuse_ino_t, info: UnsafeMutablePointer<fuse_file_info>?) {
        serve(request, "opendir") { () throws(FileSystemError) in
            let id = try fileSystem.shared { () throws(FileSystemError) in try resolveDirectory(inode).id }
            guard let info else { throw .invalidArgument("opendir without file info") }
            info.pointee.fh = DirectoryListing(directory: id).handle()
            info.pointee.cache_readdir = 0
            if fuse_reply_open(request, info) != 0 { DirectoryListing.close(handle: info.pointee.fh) }
        }
    }

    func releasedir(_ request: fuse_req_t?, info: UnsafeMutablePointer<fuse_file_info>?) {
        if let info { DirectoryListing.close(handle: info.pointee.fh) }
        fuse_reply_err(request, 0)
    }

    /// readdir and readdirplus: entries from `offset` (a listing position) until `size` bytes are
    /// filled. Each entry carries the offset of the one after it.
    func readdir(_ request: fuse_req_t?, inode: fuse_ino_t, size: Int, offset: off_t, info: UnsafeMutablePointer<fuse_file_info>?, plus: Bool) {
        serve(request, plus ? "readdirplus" : "readdir") { () throws(FileSystemError) in
            let id = InodeNumbers.nodeID(of: inode)
            guard let listing = info.flatMap({ DirectoryListing.from(handle: $0.pointee.fh) }), listing.directory == id else {
                throw .system(operation: "readdir", path: "", errno: EBADF)
            }
            guard offset >= 0 else { throw .system(operation: "readdir", path: "", errno: EINVAL) }
            let capacity = max(0, min(size, 4 << 20))
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 1), alignment: 8)
            defer { buffer.deallocate() }
            func pass(
                held: [UInt64], reload: Bool
            ) throws(FileSystemError) -> (used: Int, listed: (id: UInt32, node: Node)?, held: [UInt64]) {
                try fileSystem.shared { () throws(FileSystemError) in
                    let directory = try resolveDirectory(inode)
                    var listed: (id: UInt32, node: Node)?
                    // `listing` is changed here under the engine lock held only shared: other readers
                    // may run, but none touches this handle's listing, since the kernel serialises
                    // readdir calls on one open directory (FUSE holds a lock per open file around
                    // them) and sends no releasedir while one is under way.
                    if reload || !listing.isLoaded {
                        listing.entries = try fileSystem.entries(of: directory.id)
                        listing.isLoaded = true
                        listing.loadedTree = (directory.node.levelPointer(0), directory.node.levelPointer(1))
                        listed = directory
                    }
                    let filled = fill(buffer, capacity: capacity, request: request, from: Int(min(offset, off_t(Int.max))),
                                      listing: listing, directory: directory, plus: plus, held: held)
                    return (filled.used, listed, filled.held)
                }
            }
            // A readdirplus entry carries the node's size and blocks: files listed with writes
            // the mount answered but still holds (`WriteCoalescer`) have them handed over, and
            // the entries are made again (outside the engine's lock, which forming needs).
            var done = try pass(held: plus ? coalescer.heldInodes : [], reload: offset == 0)
            let listed = done.listed
            if !done.held.isEmpty {
                for handle in done.held { settleWrites(handle) }
                done = try pass(held: [], reload: false)
            }
            let used = done.used
            if let listed { try? noteAccess(listed.id, listed.node) }  // best effort, as after a read
            fuse_reply_buf(request, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), used)
        }
    }

    /// Packs the listing's entries from `position` into `buffer`; returns the bytes used, and the
    /// handles among `held` that readdirplus entries went out for. Runs under the engine lock
    /// (shared). The listing was read when the pass started, so when the directory
    /// has changed since, for readdirplus an entry whose name no longer leads to the same node
    /// goes out as a plain entry: the kernel must not cache a name for a node it no longer names.
    private func fill(
        _ buffer: UnsafeMutableRawBufferPointer, capacity: Int, request: fuse_req_t?, from position: Int,
        listing: DirectoryListing, directory: (id: UInt32, node: Node), plus: Bool, held: [UInt64]
    ) -> (used: Int, held: [UInt64]) {
        guard let base = buffer.baseAddress else { return (0, []) }
        var listedHeld: [UInt64] = []
        // Entries read from the directory as it still is are handed on with their node ids as
        // listed; only a listing the directory has changed since is checked name by name.
        let current = listing.isCurrent(for: directory.node)
        var used = 0
        var position = position
        // Where the nodes read ahead end: the attributes this call hands out come from nodes
        // read in windows of entries (nearby node blocks in one read), not one read each.
        var readAhead = 0
        while position < listing.count {
            if plus && position >= readAhead && position >= 2 {
                let room = (capacity - used) / Self.smallestPlusEntry + 1
                readAhead = min(listing.count, position + min(room, Self.readAheadEntries))
                fileSystem.readNodesAhead(of: (position..<readAhead).map { listing.item(at: $0).nodeID })
            }
            let item = listing.item(at: position)
            var node: Node?
            if position < 2 {
                node = directory.node
            } else if current || (try? fileSystem.find(item.name, in: directory.id)) == item.nodeID {
                node = try? fileSystem.node(item.nodeID)
            }
            let next = off_t(position + 1)
            let room = capacity - used
            let target = (base + used).assumingMemoryBound(to: CChar.self)
            let needed = (item.name + [0]).withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { name -> Int in
                    if plus {
                        var entry = fuse_entry_param()
                        if let node, position >= 2 {
                            entry = self.entry(for: item.nodeID, node)
                            if !held.isEmpty && held.contains(entry.ino) { listedHeld.append(entry.ino) }
                        } else {
                            // "." and "..", and entries gone stale: a plain entry, no lookup.
                            entry.attr.st_ino = ino_t(item.nodeID)
                            if let node { entry.attr.st_mode = mode_t(NodeAttributes.fileType(of: node)) }
                        }
                        return fuse_add_direntry_plus(request, target, room, name.baseAddress, &entry, next)
                    }
                    var attributes = Glibc.stat()
                    attributes.st_ino = ino_t(item.nodeID)
                    if let node { attributes.st_mode = mode_t(NodeAttributes.fileType(of: node)) }
                    return fuse_add_direntry(request, target, room, name.baseAddress, &attributes, next)
                }
            }
            if needed > room { break }
            used += needed
            position += 1
        }
        return (used, listedHeld)
    }

    /// The bytes of the smallest readdirplus entry (`fuse_direntplus` with a name of up to 8 bytes).
    static let smallestPlusEntry = 160
    /// Entries whose nodes readdirplus reads ahead at once.
    static let readAheadEntries = 64

    func fsyncdir(_ request: fuse_req_t?) {
        serve(request, "fsyncdir") { () throws(FileSystemError) in
            try commit()
            fuse_reply_err(request, 0)
        }
    }

    /// statfs: blocks of 4096 bytes; every node needs a block of its own, so the free blocks also
    /// bound the nodes that can still be made. Writes the mount answered but still holds are
    /// handed over first: their records take blocks.
    func statfs(_ request: fuse_req_t?) {
        serve(request, "statfs") { () throws(FileSystemError) in
            settleAllWrites()
            let counts = try fileSystem.statistics()
            var info = statvfs()
            info.f_bsize = 4096
            info.f_frsize = 4096
            info.f_blocks = fsblkcnt_t(counts.blocks)
            info.f_bfree = fsblkcnt_t(counts.freeBlocks)
            info.f_bavail = fsblkcnt_t(try fileSystem.availableBlocks())
            info.f_files = fsfilcnt_t(counts.blocks)
            info.f_ffree = fsfilcnt_t(counts.freeBlocks)
            info.f_favail = fsfilcnt_t(counts.freeBlocks)
            info.f_namemax = UInt(RedoxFS.maxNameLength)
            fuse_reply_statfs(request, &info)
        }
    }
}
