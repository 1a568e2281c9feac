#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// Fallocate mode bits (linux/falloc.h).
enum FallocateMode {
    static let keepSize: Int32 = 0x01
    static let punchHole: Int32 = 0x02
    static let zeroRange: Int32 = 0x10
}

/// Requests on file content and open files.
extension FuseBridge {
    /// Sets the open flags every file handle gets: the page cache survives a reopen (nothing
    /// changes the file behind the kernel's back). `fh` is 1 for a handle open for writing.
    func prepare(_ info: UnsafeMutablePointer<fuse_file_info>?, writer: Bool = false) {
        guard let info else { return }
        info.pointee.fh = writer ? 1 : 0
        info.pointee.keep_cache = 1
        info.pointee.direct_io = 0
    }

    /// An open for writing (or with O_TRUNC) is a change of the inode for `RecordPageStore`.
    func open(_ request: fuse_req_t?, inode: fuse_ino_t, info: UnsafeMutablePointer<fuse_file_info>?) {
        let flags = info?.pointee.flags ?? 0
        guard flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0 else { return open(request, inode: inode, info: info, writer: false) }
        var options = info?.pointee ?? fuse_file_info()
        pageStore.changing(inode) { withUnsafeMutablePointer(to: &options) { self.open(request, inode: inode, info: $0, writer: true) } }
    }

    func open(_ request: fuse_req_t?, inode: fuse_ino_t, info: UnsafeMutablePointer<fuse_file_info>?, writer: Bool) {
        serve(request, "open") { () throws(FileSystemError) in
            let truncate = (info?.pointee.flags ?? 0) & O_TRUNC != 0
            if truncate { settleWrites(inode) }
            let id = try fileSystem.exclusively { () throws(FileSystemError) in
                let (id, node) = try resolve(inode)
                guard !node.isDirectory else { throw .system(operation: "open", path: "", errno: EISDIR) }
                // FUSE_CAP_ATOMIC_O_TRUNC: the kernel leaves O_TRUNC to open, which marks the file
                // modified even when it was empty already (POSIX).
                if truncate && node.kind == .file {
                    try fileSystem.setAttributes(id, AttributeChanges(size: 0, modificationTime: fileSystem.clock()))
                }
                fileSystem.retain(id)
                return id
            }
            prepare(info, writer: writer)
            if writer { pageStore.openedWriter(inode) }
            if fuse_reply_open(request, info) != 0 {
                // The opener went away (interrupted): the kernel will send no release.
                try? fileSystem.releaseHandle(id)
                if writer { pageStore.closedWriter(inode) }
            }
        }
    }

    func create(_ request: fuse_req_t?, parent: fuse_ino_t, name: UnsafePointer<CChar>?, mode: mode_t, info: UnsafeMutablePointer<fuse_file_info>?) {
        serve(request, "create") { () throws(FileSystemError) in
            let made = try fileSystem.exclusively { () throws(FileSystemError) in
                let made = try make(request, parent: parent, name: name, mode: NodeKind.file.rawValue | UInt16(mode & 0o7777))
                fileSystem.retain(made.id)
                return made
            }
            prepare(info, writer: true)
            var reply = entry(for: made.id, made.node)
            pageStore.openedWriter(reply.ino)
            if fuse_reply_create(request, &reply, info) != 0 {
                try? fileSystem.releaseHandle(made.id)
                pageStore.closedWriter(reply.ino)
            }
        }
    }

    func release(_ request: fuse_req_t?, inode: fuse_ino_t, handle: UInt64 = 0) {
        serve(request, "release") { () throws(FileSystemError) in
            // The kernel wrote the handle's dirty pages back before this; the gathered ones reach
            // the engine before the writer count drops (`RecordPageStore` reads only the engine).
            settleWrites(inode)
            if handle == 1 { pageStore.closedWriter(inode) }
            // An open node is retained, so its id still names it: no tag to check.
            try fileSystem.releaseHandle(InodeNumbers.nodeID(of: inode))
            fuse_reply_err(request, 0)
        }
    }

    func read(_ request: fuse_req_t?, inode: fuse_ino_t, size: Int, offset: off_t, flags: Int32 = 0) {
        serve(request, "read") { () throws(FileSystemError) in
            guard offset >= 0 else { throw .system(operation: "read", path: "", errno: EINVAL) }
            let count = min(size, 64 << 20)
            guard count > 0 else {
                fuse_reply_buf(request, nil, 0)
                return
            }
            // Gathered writeback pages reach the engine first, whichever way the read goes.
            settleWrites(inode)
            if let ticket = pageStore.ticket(for: inode, offset: UInt64(offset), size: count, flags: flags) {
                return try readWithStore(request, inode: inode, offset: UInt64(offset), count: count, ticket: ticket)
            }
            // Larger and continuing READs (readahead) read through the image's page cache, whose
            // readahead keeps several records in flight (direct: slower, measured).
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
            defer { buffer.deallocate() }
            let (id, node, done) = try fileSystem.shared { () throws(FileSystemError) in
                let (id, node) = try resolve(inode)
                guard !node.isDirectory else { throw .system(operation: "read", path: "", errno: EISDIR) }
                return (id, node, try fileSystem.readBulk(node, at: UInt64(offset), into: buffer, bypassingCache: false))
            }
            // Best effort, as on Linux: the bytes were read, whatever becomes of the atime.
            try? noteAccess(id, node)
            fuse_reply_buf(request, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), done)
        }
    }

    func write(_ request: fuse_req_t?, inode: fuse_ino_t, bytes: UnsafePointer<CChar>?, size: Int, offset: off_t, fromPageCache: Bool) {
        serve(request, "write") { () throws(FileSystemError) in
            guard offset >= 0 else { throw .system(operation: "write", path: "", errno: EINVAL) }
            guard size > 0, let bytes else {
                fuse_reply_write(request, 0)
                return
            }
            let raw = UnsafeRawBufferPointer(start: bytes, count: size)
            // Writeback pages inside one record wait for the record's other pages (FuseBridge+Writeback.swift).
            if gatherWriteback(request, inode, at: UInt64(offset), raw, fromPageCache: fromPageCache) { return }
            let ticket = beginDirectWrite(inode, at: UInt64(offset), count: size)
            defer { endDirectWrite(ticket) }
            // A write inside one record (the writeback of scattered pages) merges, compresses and
            // hashes its record first, holding the lock shared: several such writes run at once,
            // and beside a commit's device I/O; the exclusive part then only links the record.
            let prepared = size <= Self.preparedWriteLimit ? prepare(inode, at: UInt64(offset), raw) : nil
            let written = try fileSystem.exclusively { () throws(FileSystemError) in
                let id: UInt32
                do throws(FileSystemError) {
                    let resolved = try resolve(inode)
                    id = resolved.id
                    noteFile(inode, resolved.node)
                } catch {
                    // No write takes the prepared record: its claim ends here.
                    if let prepared { fileSystem.releaseClaim(of: prepared) }
                    throw error
                }
                return try fileSystem.write(id, at: UInt64(offset), raw, prepared: prepared, touchingTimes: !kernelKeepsFileTimes)
            }
            fuse_reply_write(request, written)
        }
    }

    /// The largest write prepared ahead (`prepareWrite`): the largest record.
    static let preparedWriteLimit = 128 << 10

    /// The prepared record of a write, if any. An earlier write of the same record is done by
    /// now (`beginDirectWrite` waited for it), so the record is not busy.
    func prepare(_ inode: fuse_ino_t, at offset: UInt64, _ bytes: UnsafeRawBufferPointer) -> PreparedRecordWrite? {
        if case .prepared(let prepared) = fileSystem.preparation(of: InodeNumbers.nodeID(of: inode), at: offset, bytes) {
            return prepared
        }
        return nil
    }

    /// close(): hands the file's gathered writeback pages to the engine (the kernel may still
    /// write cached pages back later, up to the last RELEASE); a commit waits for fsync, the timer
    /// or the unmount, so closing many small files costs no device flush each. Reports a gathered
    /// write of the file that failed.
    func flush(_ request: fuse_req_t?, inode: fuse_ino_t, handle: UInt64 = 1) {
        serve(request, "flush") { () throws(FileSystemError) in
            settleWrites(inode)
            // A kept error goes to a handle open for writing (`prepare`), not to a reader's close.
            if handle == 1, let error = takeWriteError(inode) { throw error }
            fuse_reply_err(request, 0)
        }
    }

    /// fsync and fdatasync: commit the transaction, which makes every change so far durable;
    /// reports a gathered write of the file that failed.
    func fsync(_ request: fuse_req_t?, inode: fuse_ino_t, handle: UInt64 = 1) {
        serve(request, "fsync") { () throws(FileSystemError) in
            try commit()
            if handle == 1, let error = takeWriteError(inode) { throw error }
            fuse_reply_err(request, 0)
        }
    }

    /// fallocate: plain allocation sets the size (a copy-on-write file system cannot reserve
    /// blocks for later overwrites, so only free space is checked); punching a hole frees the
    /// records inside the range; zeroing a range does the same and may extend the file. Other
    /// modes (collapse, insert, unshare) are not supported.
    func fallocate(_ request: fuse_req_t?, inode: fuse_ino_t, mode: Int32, offset: off_t, length: off_t) {
        pageStore.changing(inode) { self.allocate(request, inode: inode, mode: mode, offset: offset, length: length) }
    }

    func allocate(_ request: fuse_req_t?, inode: fuse_ino_t, mode: Int32, offset: off_t, length: off_t) {
        serve(request, "fallocate") { () throws(FileSystemError) in
            guard offset >= 0, length > 0 else { throw .system(operation: "fallocate", path: "", errno: EINVAL) }
            let start = UInt64(offset)
            let (end, overflow) = start.addingReportingOverflow(UInt64(length))
            guard !overflow else { throw .system(operation: "fallocate", path: "", errno: EFBIG) }
            let keepSize = mode & FallocateMode.keepSize != 0
            settleWrites(inode)
            try fileSystem.exclusively { () throws(FileSystemError) in
                let (id, node) = try resolve(inode)
                guard !node.isDirectory else { throw .system(operation: "fallocate", path: "", errno: EISDIR) }
                switch mode & ~FallocateMode.keepSize {
                case 0:
                    if end > node.size {
                        let needed = (end - max(node.size, start) + 4095) / 4096
                        let free = try fileSystem.availableBlocks()
                        guard needed <= free else { throw .system(operation: "fallocate", path: "", errno: ENOSPC) }
                        if !keepSize { try fileSystem.truncate(id, to: end) }
                    }
                case FallocateMode.punchHole:
                    guard keepSize else { throw .system(operation: "fallocate", path: "", errno: EOPNOTSUPP) }
                    try fileSystem.punchHole(id, at: start, length: end - start)
                case FallocateMode.zeroRange:
                    try fileSystem.punchHole(id, at: start, length: end - start)
                    if !keepSize && end > node.size { try fileSystem.truncate(id, to: end) }
                default:
                    throw .system(operation: "fallocate", path: "", errno: EOPNOTSUPP)
                }
            }
            fuse_reply_err(request, 0)
        }
    }
}
