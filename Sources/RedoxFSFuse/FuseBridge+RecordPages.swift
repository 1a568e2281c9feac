#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// Small random reads that push the rest of their record into the kernel's page cache
/// (`RecordPageStore`).
extension FuseBridge {
    /// Answers a READ of `count` bytes at `offset` that holds `ticket`: when the request lies
    /// inside one record of a regular file, reads that whole record (the engine reads and verifies
    /// all of it anyway), answers the request from it, then stores the rest of it.
    func readWithStore(
        _ request: fuse_req_t?, inode: fuse_ino_t, offset: UInt64, count: Int, ticket: RecordPageStore.Ticket
    ) throws(FileSystemError) {
        var storage: UnsafeMutableRawBufferPointer?
        defer { storage?.deallocate() }
        let (id, node, from, done) = try fileSystem.shared { () throws(FileSystemError) -> (UInt32, Node, UInt64, Int) in
            let (id, node) = try resolve(inode)
            guard !node.isDirectory else { throw .system(operation: "read", path: "", errno: EISDIR) }
            let recordSize = node.recordSize
            let start = offset - offset % recordSize
            let whole = node.kind == .file && !node.hasInlineData && recordSize <= RecordPageStore.recordLimit
                && UInt64(count) < recordSize && offset + UInt64(count) <= start + recordSize && offset < node.size
            // The record clamped to the size the engine has now: the kernel's size, as no writer is open.
            let (from, length) = whole ? (start, Int(min(recordSize, node.size - start))) : (offset, count)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 64)
            storage = buffer
            let done = try fileSystem.readBulk(node, at: from, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]))
            return (id, node, from, done)
        }
        guard let buffer = storage else { return }
        try? noteAccess(id, node)
        let skip = Int(offset - from)
        let answered = max(0, min(count, done - skip))
        let reply: UnsafeMutableRawPointer? = buffer.baseAddress.map { $0 + skip }
        fuse_reply_buf(request, reply?.assumingMemoryBound(to: CChar.self), answered)
        guard from < offset || count < done else { return }
        pageStore.store(
            ticket, record: UnsafeRawBufferPointer(rebasing: buffer[0..<done]), recordStart: from,
            request: offset..<offset + UInt64(count))
    }
}
