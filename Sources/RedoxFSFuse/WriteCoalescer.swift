#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import Synchronization

/// Writeback writes the mount has answered but not yet given to the engine, gathered per record,
/// so that a burst of page writes into one record forms that record once (merged, LZ4 tried,
/// hashed, stored) instead of once per page.
///
/// With the kernel's writeback cache, pages written back are as durable as the kernel's own
/// cache until an fsync: answering their WRITE before the engine has them changes nothing a
/// program can rely on, as long as everything that looks at the file, and every commit, first
/// hands the gathered pages to the engine (`settle`, `settleAll`), and an error found then is
/// reported by the file's next fsync or close (`takeError`), as the kernel reports writeback
/// errors. "Looks at" includes every reply that carries a size, a block count or the free space
/// (GETATTR, LOOKUP, readdirplus, LINK, STATFS): the gathered pages may grow the file and
/// allocate blocks.
///
/// Commits the engine makes on its own (its write cache's threshold, low free space) do not
/// settle first: they run at the end of whatever engine call crossed the threshold, under the
/// engine's lock, where handing over would form records inside another write. That loses
/// nothing and delays nothing beyond what the mount promises: gathered pages are writeback,
/// durable only from an fsync (which settles everything before its commit); the commit timer
/// settles everything before it looks for changes, so they are committed within one interval
/// of being answered, also when an automatic commit has just left the engine clean
/// (`CommitTimerTests`); with `--commit-interval 0` (commits only on fsync and unmount) they
/// wait, as the engine's own uncommitted changes may, for an fsync or the unmount, if nothing
/// pushes them out or looks at their file before. An automatic commit may hold later changes (a
/// rename, say) without them: the order the kernel's writeback cache gives anyway.
///
/// Order: a batch (the gathered writes into one record) and a direct write each get a sequence
/// number when they begin; work on one record of one file (a direct write across records: on
/// the whole file) waits for the earlier work on it, so the engine sees overlapping bytes in the
/// order the kernel sent them. The kernel sends a page again only after its previous WRITE was
/// answered, so a write of a page always comes after the batch or work holding its older bytes.
final class WriteCoalescer: @unchecked Sendable {
    /// Writes into one record of one file, answered but not yet given to the engine.
    struct Batch {
        let inode: UInt64
        let record: UInt64
        let sequence: UInt64
        /// The writes, in the order they came (adjacent ones joined).
        var ranges: [WriteRange]
    }

    /// A batch being formed or a direct write being made: what later work on the same records
    /// waits for.
    struct Work {
        let inode: UInt64
        let records: ClosedRange<UInt64>
        let sequence: UInt64

        init(inode: UInt64, records: ClosedRange<UInt64>, sequence: UInt64) {
            self.inode = inode
            self.records = records
            self.sequence = sequence
        }

        init(_ batch: Batch) {
            self.init(inode: batch.inode, records: batch.record...batch.record, sequence: batch.sequence)
        }

        func overlaps(_ other: Work) -> Bool {
            inode == other.inode && records.overlaps(other.records)
        }
    }

    /// What the coalescer did, for tests and benchmarks (`REDOXFS_STATS`).
    struct Statistics {
        /// Writeback writes (pieces of one record) gathered, and how many joined a record already waiting.
        var writebackWrites = 0
        var gathered = 0
        var batchesFormed = 0
        var directWrites = 0
    }

    /// At most this many records of one file wait (the writeback's requests run on several
    /// threads and may come slightly out of page order), and this many in all.
    static let perFileLimit = 4
    static let totalLimit = 32
    /// A batch holding more bytes than this is formed at once: a page written back again and
    /// again (`sync_file_range`, say) adds a range each time, and must not grow it for ever.
    static let batchByteLimit = 256 << 10
    /// Kept errors beyond this many files are dropped (each was logged when it happened).
    static let errorLimit = 1024

    /// Hands one batch to the engine; returns the error to keep for its file, if any.
    typealias Former = (Batch) -> FileSystemError?

    private let signals = ConditionLock()
    private var pending: [Batch] = []
    private var working: [Work] = []
    /// Whether `pending` and `working` are both empty, readable without the mutex: the requests
    /// that settle or ask `holds` (LOOKUP, GETATTR, READ, ...) skip the mutex when nothing is
    /// gathered, which is most of the time. A write answered before a request was sent is seen
    /// by it: the answer and the request pass through the kernel between.
    private let idle = Atomic<Bool>(true)
    private var errors: [UInt64: FileSystemError] = [:]
    private var recordSizes: [UInt64: UInt64] = [:]
    private var nextSequence: UInt64 = 1
    private var counts = Statistics()

    private func locked<T>(_ body: () -> T) -> T {
        signals.locked(body)
    }

    /// `locked` for a body that may add to or take from `pending` and `working`: `idle` follows.
    private func changing<T>(_ body: () -> T) -> T {
        signals.locked {
            defer { idle.store(pending.isEmpty && working.isEmpty, ordering: .releasing) }
            return body()
        }
    }

    var statistics: Statistics { locked { counts } }

    /// The record size remembered for `inode` (a file keeps its record size for life).
    func recordSize(of inode: UInt64) -> UInt64? {
        locked { recordSizes[inode] }
    }

    func remember(recordSize: UInt64, of inode: UInt64) {
        locked {
            if recordSizes.count >= 4096 { recordSizes.removeAll(keepingCapacity: true) }
            recordSizes[inode] = recordSize
        }
    }

    /// Gathers a writeback write of `bytes` at `offset`, inside record `record` of `inode`.
    /// Returns the batches to form now (older records pushed out by the limits); the caller
    /// forms them with `form`.
    func add(_ inode: UInt64, record: UInt64, at offset: UInt64, _ bytes: UnsafeRawBufferPointer) -> [Batch] {
        let copy = [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
            if let base = bytes.baseAddress { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: bytes.count) }
            initialized = bytes.count
        }
        return changing {
            counts.writebackWrites += 1
            if let index = pending.firstIndex(where: { $0.inode == inode && $0.record == record }) {
                counts.gathered += 1
                let last = pending[index].ranges.count - 1
                let previousEnd = pending[index].ranges[last].offset + UInt64(pending[index].ranges[last].bytes.count)
                if previousEnd == offset {
                    pending[index].ranges[last].bytes.append(contentsOf: copy)
                } else {
                    pending[index].ranges.append(WriteRange(offset: offset, bytes: copy))
                }
                guard pending[index].ranges.reduce(0, { $0 + $1.bytes.count }) > Self.batchByteLimit else { return [] }
                let full = pending.remove(at: index)
                working.append(Work(full))
                return [full]
            }
            var out: [Batch] = []
            if let oldest = pending.firstIndex(where: { $0.inode == inode }),
               pending.lazy.filter({ $0.inode == inode }).count >= Self.perFileLimit {
                out.append(pending.remove(at: oldest))
            } else if pending.count >= Self.totalLimit {
                out.append(pending.removeFirst())
            }
            pending.append(Batch(inode: inode, record: record, sequence: take(), ranges: [WriteRange(offset: offset, bytes: copy)]))
            for batch in out { working.append(Work(batch)) }
            return out
        }
    }

    /// Forms `batches` (taken from `add` or the settling calls, so registered as work) in turn,
    /// each once the earlier work on its record is done.
    func form(_ batches: [Batch], with former: Former) {
        for batch in batches {
            let work = Work(batch)
            waitForEarlier(than: work)
            let error = former(batch)
            changing {
                counts.batchesFormed += 1
                if let error { keep(error, for: batch.inode) }
                finish(work)
            }
        }
    }

    /// Hands `inode`'s gathered writes to the engine and waits for all work on it that began
    /// before (another thread's batch of it, a direct write): what looks at the file then sees
    /// every write answered so far.
    func settle(_ inode: UInt64, with former: Former) {
        settle(with: former) { $0 == inode }
    }

    /// `settle` for every file (before a commit).
    func settleAll(with former: Former) {
        settle(with: former) { _ in true }
    }

    private func settle(with former: Former, _ chosen: (UInt64) -> Bool) {
        if idle.load(ordering: .acquiring) { return }
        let (batches, horizon) = changing { () -> ([Batch], UInt64) in
            let batches = detach { chosen($0.inode) }
            return (batches, nextSequence)
        }
        form(batches, with: former)
        locked {
            while working.contains(where: { chosen($0.inode) && $0.sequence < horizon }) {
                signals.wait()
            }
        }
    }

    /// Begins a write the engine gets at once (not gathered) into `records` of `inode`. Hands
    /// the gathered writes it overlaps to the engine first and waits for the earlier work on
    /// those records; call `endDirectWrite` after the write.
    func beginDirectWrite(_ inode: UInt64, records: ClosedRange<UInt64>, with former: Former) -> Work {
        let (batches, ticket) = changing { () -> ([Batch], Work) in
            counts.directWrites += 1
            let batches = detach { $0.inode == inode && records.contains($0.record) }
            let ticket = Work(inode: inode, records: records, sequence: take())
            working.append(ticket)
            return (batches, ticket)
        }
        form(batches, with: former)
        waitForEarlier(than: ticket)
        return ticket
    }

    func endDirectWrite(_ ticket: Work) {
        changing { finish(ticket) }
    }

    /// The error kept for `inode` since its last fsync or close, if any; forgets it.
    func takeError(_ inode: UInt64) -> FileSystemError? {
        locked { errors.removeValue(forKey: inode) }
    }

    /// Whether writes into `inode` are gathered or being formed (a direct write counts): whether
    /// `settle` has anything to hand over or wait for. Replies that carry the file's size or
    /// blocks and do not settle every time (LOOKUP, readdirplus) ask this first.
    @inline(__always)
    func holds(_ inode: UInt64) -> Bool {
        !idle.load(ordering: .acquiring) && holdsLocked { $0 == inode }
    }

    /// `holds` for any life of node `id` (the handle's low 32 bits; a LOOKUP knows the id before
    /// the handle).
    @inline(__always)
    func holds(node id: UInt32) -> Bool {
        !idle.load(ordering: .acquiring) && holdsLocked { UInt32(truncatingIfNeeded: $0) == id }
    }

    private func holdsLocked(_ chosen: (UInt64) -> Bool) -> Bool {
        locked { pending.contains { chosen($0.inode) } || working.contains { chosen($0.inode) } }
    }

    /// The files `holds` is true for, as they are now.
    var heldInodes: [UInt64] {
        if idle.load(ordering: .acquiring) { return [] }
        return locked { pending.map(\.inode) + working.map(\.inode) }
    }

    /// Whether anything is gathered or being formed (tests of the settling).
    var isIdle: Bool { locked { pending.isEmpty && working.isEmpty } }

    // MARK: Under the mutex

    private func take() -> UInt64 {
        defer { nextSequence += 1 }
        return nextSequence
    }

    /// Removes the pending batches `chosen` picks, registered as work.
    private func detach(_ chosen: (Batch) -> Bool) -> [Batch] {
        var taken: [Batch] = []
        pending.removeAll { batch in
            guard chosen(batch) else { return false }
            taken.append(batch)
            return true
        }
        for batch in taken { working.append(Work(batch)) }
        return taken
    }

    private func finish(_ work: Work) {
        working.removeAll { $0.sequence == work.sequence }
        signals.broadcast()
    }

    private func keep(_ error: FileSystemError, for inode: UInt64) {
        guard errors[inode] == nil else { return }
        // Past the bound one older error makes room (each was logged when it happened).
        if errors.count >= Self.errorLimit, let older = errors.keys.first { errors[older] = nil }
        errors[inode] = error
    }

    private func waitForEarlier(than work: Work) {
        locked {
            while working.contains(where: { $0.sequence < work.sequence && $0.overlaps(work) }) {
                signals.wait()
            }
        }
    }
}
