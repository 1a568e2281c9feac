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
            let id = try fileSystem.exclusively { () throws(FileSystemError) in try resolveDirectory(inode).id }
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
            if offset == 0 || !listing.isLoaded {
                listing.entries = try fileSystem.exclusively { () throws(FileSystemError) in
                    try fileSystem.entries(of: try resolveDirectory(inode).id)
                }
                listing.isLoaded = true
            }
            let capacity = max(0, min(size, 4 << 20))
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 1), alignment: 8)
            defer { buffer.deallocate() }
            var used = 0
            var position = Int(min(offset, off_t(Int.max)))
            while position < listing.count, let base = buffer.baseAddress {
                let item = listing.item(at: position)
                let node: Node? = position < 2 ? try? fileSystem.node(id) : try? fileSystem.node(item.nodeID)
                var name = item.name
                name.append(0)
                let needed = name.withUnsafeBufferPointer { raw in
                    raw.withMemoryRebound(to: CChar.self) { cName -> Int in
                        let target = (base + used).assumingMemoryBound(to: CChar.self)
                        let room = capacity - used
                        if plus {
                            var entry = fuse_entry_param()
                            if let node {
                                entry = self.entry(for: item.nodeID, node)
                            } else {
                                entry.attr.st_ino = ino_t(item.nodeID)  // a plain entry, no lookup
                            }
                            return fuse_add_direntry_plus(request, target, room, cName.baseAddress, &entry, off_t(position + 1))
                        }
                        var attributes = Glibc.stat()
                        attributes.st_ino = ino_t(item.nodeID)
                        if let node { attributes.st_mode = mode_t(NodeAttributes.fileType(of: node)) }
                        return fuse_add_direntry(request, target, room, cName.baseAddress, &attributes, off_t(position + 1))
                    }
                }
                if needed > capacity - used { break }
                used += needed
                position += 1
            }
            fuse_reply_buf(request, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), used)
        }
    }

    func fsyncdir(_ request: fuse_req_t?) {
        serve(request, "fsyncdir") { () throws(FileSystemError) in
            try commit()
            fuse_reply_err(request, 0)
        }
    }

    /// statfs: blocks of 4096 bytes; every node needs a block of its own, so the free blocks also
    /// bound the nodes that can still be made.
    func statfs(_ request: fuse_req_t?) {
        serve(request, "statfs") { () throws(FileSystemError) in
            let counts = try fileSystem.statistics()
            var info = statvfs()
            info.f_bsize = 4096
            info.f_frsize = 4096
            info.f_blocks = fsblkcnt_t(counts.blocks)
            info.f_bfree = fsblkcnt_t(counts.freeBlocks)
            info.f_bavail = fsblkcnt_t(counts.freeBlocks)
            info.f_files = fsfilcnt_t(counts.blocks)
            info.f_ffree = fsfilcnt_t(counts.freeBlocks)
            info.f_favail = fsfilcnt_t(counts.freeBlocks)
            info.f_namemax = UInt(RedoxFS.maxNameLength)
            fuse_reply_statfs(request, &info)
        }
    }
}
