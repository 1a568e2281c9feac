#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// Small random reads that push the rest of their record into the kernel's page cache
/// (`RecordPageStore`).
extension FuseBridge {
    /// Answers a READ of `count` bytes at `offset` that holds `ticket`. When the request lies
    /// inside one stored record of a regular file, takes that whole record from the engine (which
    /// reads and verifies all of it anyway), answers the request from it, then stores the rest of
    /// it; otherwise (records no larger than the request, such as 4 KiB records; holes) reads as
    /// `read` does, in the same pass under the engine's lock (one node lookup per READ).
    func readWithStore(
        _ request: fuse_req_t?, inode: fuse_ino_t, offset: UInt64, count: Int, ticket: RecordPageStore.Ticket
    ) throws(FileSystemError) {
        // Past the image's page cache only when the rest of the record will reach the kernel's:
        // a record left unstored may be read again, and then the page cache has it.
        let direct = directReads && pageStore.wouldStore(ticket)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        defer { buffer.deallocate() }
        let (id, node, record, start, done) = try fileSystem.shared { () throws(FileSystemError) in
            try recordOrContent(inode, offset: offset, count: count, into: buffer, direct: direct)
        }
        try? noteAccess(id, node)
        guard let record else {
            fuse_reply_buf(request, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), done)
            return
        }
        let skip = Int(offset - start)
        let answered = max(0, min(count, record.count - skip))
        _ = record.withUnsafeBytes { bytes in
            fuse_reply_buf(request, bytes.baseAddress.map { ($0 + skip).assumingMemoryBound(to: CChar.self) }, answered)
        }
        // The store thread pushes the rest while this worker goes back to the requests.
        pageStore.storeLater(ticket, record: record, recordStart: start, request: offset..<offset + UInt64(count))
    }

    /// For `readWithStore`, holding the engine's lock shared: the node, and either the record the
    /// request lies in (cut or padded to the file's size; `done` 0) or, where no store can follow,
    /// the request read into `buffer` (`record` nil, `done` bytes).
    private func recordOrContent(
        _ inode: fuse_ino_t, offset: UInt64, count: Int, into buffer: UnsafeMutableRawBufferPointer, direct: Bool
    ) throws(FileSystemError) -> (id: UInt32, node: Node, record: [UInt8]?, start: UInt64, done: Int) {
        let (id, node) = try resolve(inode)
        guard !node.isDirectory else { throw .system(operation: "read", path: "", errno: EISDIR) }
        // A random READ inside a file: its record and the lists above it are read without the
        // image's readahead. Not a READ of a whole small file (from its start to its end): the
        // files a tree's reader takes next lie beside it on the disk.
        let wholeFile = offset == 0 && UInt64(count) >= node.size
        return try EngineLock.readingAtRandom(unless: wholeFile) { () throws(FileSystemError) in
            try recordOrContent(id, node, offset: offset, count: count, into: buffer, direct: direct)
        }
    }

    /// `recordOrContent` once `inode` is resolved to `id` and `node`.
    private func recordOrContent(
        _ id: UInt32, _ node: Node, offset: UInt64, count: Int, into buffer: UnsafeMutableRawBufferPointer, direct: Bool
    ) throws(FileSystemError) -> (id: UInt32, node: Node, record: [UInt8]?, start: UInt64, done: Int) {
        let recordSize = node.recordSize
        let start = offset - offset % recordSize
        guard node.kind == .file, recordSize <= RecordPageStore.recordLimit, UInt64(count) < recordSize,
              offset + UInt64(count) <= start + recordSize, offset < node.size,
              var content = try fileSystem.recordContent(of: node, record: start / recordSize, bypassingCache: direct)
        else {
            // Through the image's page cache: no store follows.
            return (id, node, nil, start, try fileSystem.readBulk(node, at: offset, into: buffer, bypassingCache: false))
        }
        // The record as the file has it at the size the engine has now (the kernel's size, as
        // no writer is open): cut past the end, zeros where the stored record stops short.
        let length = Int(min(recordSize, node.size - start))
        if content.count > length {
            content.removeSubrange(length...)
        } else if content.count < length {
            content += repeatElement(0, count: length - content.count)
        }
        return (id, node, content, start, 0)
    }
}
