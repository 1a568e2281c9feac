#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import RedoxFSFormat

/// Writeback writes gathered per record (`WriteCoalescer`): the kernel writes back scattered
/// dirty pages as one WRITE each, in page order, so a record with several dirty pages would be
/// formed (read, verified, merged, compressed, hashed, stored) once per page. A WRITE the
/// kernel sends from its page cache into one record is answered at once and kept; the record is
/// formed once, when a write into a later record pushes it out, when anything looks at the file,
/// or before a commit. Only with the writeback cache: without it, every write is a program's
/// `write` waiting for its result.
extension FuseBridge {
    /// Gathers a writeback WRITE of `bytes` at `offset` of `inode` and answers it; false (nothing
    /// done) when it is not one to gather: not from the page cache, a long run, whole records,
    /// or the file's first write.
    func gatherWriteback(
        _ request: fuse_req_t?, _ inode: fuse_ino_t, at offset: UInt64, _ bytes: UnsafeRawBufferPointer, fromPageCache: Bool
    ) -> Bool {
        guard fromPageCache, writebackCache, !bytes.isEmpty else { return false }
        // A file's first write goes to the engine at once (the direct path learns its record
        // size): a small file written whole has nothing to wait for, and costs no extra lookup.
        guard let recordSize = coalescer.recordSize(of: inode) else { return false }
        let end = offset + UInt64(bytes.count)
        let first = offset / recordSize
        let last = (end - 1) / recordSize
        // Pages inside one record, or a short run across a record's end (two neighbouring dirty
        // pages, say), gathered whole; longer runs (the writeback of a sequential write) go to
        // the engine at once.
        guard last == first || (last == first + 1 && UInt64(bytes.count) <= recordSize) else { return false }
        // Whole records (a page of a file of 4 KiB records, say) have nothing to wait for.
        guard offset % recordSize != 0 || end % recordSize != 0 else { return false }
        if offset % recordSize == 0 {
            // Nor does a write from a record's start to the file's end.
            guard let node = try? fileSystem.shared({ () throws(FileSystemError) in try resolve(inode).node }),
                  node.kind == .file else { return false }
            if end >= node.size { return false }
        }
        let headEnd = min(end, (first + 1) * recordSize)
        var due = coalescer.add(inode, record: first, at: offset, UnsafeRawBufferPointer(rebasing: bytes[..<Int(headEnd - offset)]))
        if last != first {
            due += coalescer.add(inode, record: last, at: headEnd, UnsafeRawBufferPointer(rebasing: bytes[Int(headEnd - offset)...]))
        }
        fuse_reply_write(request, bytes.count)
        coalescer.form(due, with: formBatch)
        return true
    }

    /// Remembers the record size of `node`, a file the direct path has just resolved (it never
    /// changes), so that its later writeback writes can be gathered.
    func noteFile(_ inode: fuse_ino_t, _ node: Node) {
        if node.kind == .file { coalescer.remember(recordSize: node.recordSize, of: inode) }
    }

    /// Begins a write made at once of `count` bytes at `offset` (`endDirectWrite` after it):
    /// gathered writes it overlaps go to the engine first, and it waits for earlier work on the
    /// same records (the whole file while its record size is not known yet); this replaces
    /// waiting for the engine's record claim.
    func beginDirectWrite(_ inode: fuse_ino_t, at offset: UInt64, count: Int) -> WriteCoalescer.Work {
        var records: ClosedRange<UInt64> = 0...UInt64.max
        if let recordSize = coalescer.recordSize(of: inode) {
            records = offset / recordSize...(offset + UInt64(max(count, 1)) - 1) / recordSize
        }
        return coalescer.beginDirectWrite(inode, records: records, with: formBatch)
    }

    func endDirectWrite(_ ticket: WriteCoalescer.Work) {
        coalescer.endDirectWrite(ticket)
    }

    /// Hands `inode`'s gathered writes to the engine and waits for those other threads are
    /// handing over: call it before anything that looks at or changes the file. Errors are kept
    /// for the file's next fsync or close.
    func settleWrites(_ inode: fuse_ino_t) {
        coalescer.settle(inode, with: formBatch)
    }

    /// `settleWrites` for every file: before a commit, so that it holds every write answered.
    func settleAllWrites() {
        coalescer.settleAll(with: formBatch)
    }

    /// The error of a gathered write of `inode` that failed since its last fsync or close.
    func takeWriteError(_ inode: fuse_ino_t) -> FileSystemError? {
        coalescer.takeError(inode)
    }

    /// Gives one batch to the engine: prepared under the shared lock (so batches of different
    /// records form on several threads at once), then linked exclusively.
    private func formBatch(_ batch: WriteCoalescer.Batch) -> FileSystemError? {
        let id = InodeNumbers.nodeID(of: batch.inode)
        var prepared: PreparedRecordWrite?
        if case .prepared(let made) = fileSystem.preparation(of: id, ranges: batch.ranges) { prepared = made }
        var gone = false
        do throws(FileSystemError) {
            try fileSystem.exclusively { () throws(FileSystemError) in
                do throws(FileSystemError) {
                    _ = try resolve(batch.inode)
                } catch {
                    if let prepared { fileSystem.releaseClaim(of: prepared) }
                    if case .format(.noSuchNode) = error { gone = true }
                    throw error
                }
                try fileSystem.write(id, ranges: batch.ranges, prepared: prepared, touchingTimes: !kernelKeepsFileTimes)
            }
            return nil
        } catch {
            // The file is gone (its last name and handle went): nobody can read these bytes. A
            // node missing later, inside the write (a damaged tree), is an error like any other.
            if gone { return nil }
            log.error("write-back of node \(id) failed (reported by its next fsync or close): \(error)")
            return error
        }
    }

    /// One line of the coalescer's and the engine's counts, when `REDOXFS_STATS` is set.
    func reportStatistics(_ when: String) {
        guard Self.reportsStatistics else { return }
        let formed = fileSystem.recordFormations
        let tried = fileSystem.recordCompressionTries
        let counts = coalescer.statistics
        let stored = pageStore.counts
        log.notice(
            "stats (\(when)): \(formed) records formed (\(tried) tried with LZ4); \(counts.writebackWrites) writeback pieces, \(counts.gathered) "
                + "joined a waiting record, \(counts.batchesFormed) batches formed; \(counts.directWrites) direct writes; "
                + "\(stored.stores) stores of record pages")
    }

    static let reportsStatistics = getenv("REDOXFS_STATS") != nil
}
