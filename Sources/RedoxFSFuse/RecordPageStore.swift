#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import Synchronization

/// Pushes the rest of a record a small READ had to read and verify into the kernel's page cache
/// (`fuse_lowlevel_notify_store`), so that reads of its other pages need no request
/// (`-o notify_store`, the default; `no_notify_store` turns it off).
///
/// The kernel's side (fs/fuse/dev.c, `fuse_notify_store`) locks each page of the range, copies
/// the bytes over whatever it held (dirty pages included), marks it up to date, and grows the
/// inode's size when the range ends past it. So a store must only ever carry the bytes the kernel
/// would read from us now, for a size the kernel already has:
///
/// - No store while the inode has a handle open for writing (from OPEN or CREATE until its
///   RELEASE). Dirty pages of the writeback cache exist only then: the kernel writes them back
///   before it sends the last RELEASE (`fuse_release` calls `write_inode_now(inode, 1)`), and
///   fallocate, ftruncate and copy_file_range (which falls back to writes) need such a handle.
/// - A change of the content or size without one (OPEN for writing or with O_TRUNC, SETATTR of
///   the size, FALLOCATE) runs as a *change* of the inode: it never overlaps a store of that inode,
///   and it moves the inode's change mark. A READ takes a ticket (the change sequence) before it
///   reads; its store goes out only if no change of the inode started since, none runs, and no
///   writer is open. The range is clamped to the size the engine had at that read.
/// - Unlink and rename need nothing: they change no content, and a node id used again by a new
///   node gets a new FUSE handle (`InodeNumbers`), so a late store reaches the old kernel inode.
///
/// Why no thread of the daemon can wait for ever: a store waits only for page locks, and the
/// kernel holds a page lock of a regular file with no writer only while its READ is out (or for
/// its own short work: reclaim, truncation). READs never wait for a store or a change. A change
/// that finds a store of its inode running does not wait either: it is deferred, and answered
/// when the store ends, by the thread that ran the store or, for the store thread's stores, by the
/// change thread (libfuse lets any thread answer a request). Stores run on a
/// thread of their own (`storeLater`), or on the READ's worker when that thread falls behind; at
/// most `limit` at once (half the worker threads), so a worker is always free to answer the READs
/// a store waits for (and under `-o loop=leader` the thread that reads requests hands that on
/// before it stores). A store only covers pages outside the request it follows, after that request's
/// reply (the kernel unlocks those pages on the reply), and only small reads that do not continue
/// the inode's last read get one, so readahead streams are left alone. Once the session exits the
/// loops read no more requests: a signal ends it only after `finishStores` (`SignalShutdown`), and
/// a store that begins later is skipped.
final class RecordPageStore: @unchecked Sendable {
    /// What a READ holds from before it reads until its store: the change sequence then.
    struct Ticket {
        let inode: fuse_ino_t
        let sequence: UInt64
    }

    /// The largest request that gets a store (larger ones come from readahead).
    static let requestLimit = 16 << 10
    /// The largest record stored.
    static let recordLimit: UInt64 = 1 << 20
    static let pageSize: UInt64 = 4096
    /// O_DIRECT (asm-generic/fcntl.h; Glibc does not export it without _GNU_SOURCE).
    static let directFlag: Int32 = 0o40000

    let isEnabled: Bool
    /// The most stores admitted at once, half the workers: the store thread's and those of
    /// workers that found its queue full, so a worker is always free to answer the READs a store
    /// waits for (0, no stores, with a single worker).
    private let limit: Int
    /// The session stores go to (set once, before the request loop starts).
    nonisolated(unsafe) var session: OpaquePointer?

    /// A change waiting for a store (it answers its request when run, on whichever thread).
    private struct Deferred: @unchecked Sendable {
        let run: () -> Void
    }

    private struct Gate {
        var writers = 0
        var changes = 0
        var storing = false
        var deferred: [Deferred] = []

        var isIdle: Bool { writers == 0 && changes == 0 && !storing && deferred.isEmpty }
    }

    private struct State {
        var sequence: UInt64 = 0
        /// The sequence of the last change of the inodes hashed to each slot (shared slots only
        /// make a store skip more often).
        var lastChange = [UInt64](repeating: 0, count: 4096)
        var gates: [fuse_ino_t: Gate] = [:]
        /// Where the last read of the inodes hashed to each slot ended.
        var lastReadEnd = [(inode: fuse_ino_t, end: UInt64)](repeating: (0, UInt64.max), count: 512)
        var running = 0
        /// Stores that put at least one page into the kernel's cache, and the pages they put.
        var stores = 0
        var pages = 0
        var deferredChanges = 0
        /// Set when requests are served by one thread after all (`stopStoring`), or when the mount
        /// is about to end (`finishStores`).
        var stopped = false

        static func slot(_ inode: fuse_ino_t, _ count: Int) -> Int {
            Int(truncatingIfNeeded: (UInt64(inode) &* 0x9E37_79B9_7F4A_7C15) >> 40) & (count - 1)
        }

        mutating func markChange(_ inode: fuse_ino_t) {
            sequence += 1
            lastChange[Self.slot(inode, lastChange.count)] = sequence
        }

        mutating func beginChange(_ inode: fuse_ino_t) {
            gates[inode, default: Gate()].changes += 1
            markChange(inode)
        }

        mutating func endChange(_ inode: fuse_ino_t) {
            markChange(inode)
            gates[inode]?.changes -= 1
            forgetIfIdle(inode)
        }

        mutating func forgetIfIdle(_ inode: fuse_ino_t) {
            if gates[inode]?.isIdle == true { gates[inode] = nil }
        }
    }

    private let state = Mutex(State())
    /// Signalled when the last running store ends once stores are stopped (`finishStores`).
    private let idle = ConditionLock()

    /// A store a READ handed over after its reply: its ticket, its record (the content from
    /// `recordStart`) and the range it answered.
    private struct Job: Sendable {
        let ticket: Ticket
        let record: [UInt8]
        let recordStart: UInt64
        let request: Range<UInt64>
    }

    /// The most stores waiting for the store thread: a READ that finds the queue full makes its
    /// store itself. `REDOXFS_STORE_QUEUE=0` (tests) keeps every store on the READ's worker, as
    /// before the store thread, so that the leader's hand-off before a store stays tested.
    static let queueLimit: Int = {
        guard let value = getenv("REDOXFS_STORE_QUEUE"), let limit = Int(String(cString: value)), limit >= 0 else { return 4 }
        return min(limit, 64)
    }()
    /// The store thread's nice value: the stores run in the time the READs leave (`storeLater`).
    static let storeNice: Int32 = 19
    /// Guards `queue` and `storerRunning`; the store thread waits on it for jobs.
    private let jobs = ConditionLock()
    nonisolated(unsafe) private var queue: [Job] = []
    nonisolated(unsafe) private var storerRunning = false

    /// Changes deferred behind stores the store thread made, with their inode: the change
    /// thread answers them at the daemon's own priority (a change takes the engine's exclusive
    /// lock, and may commit; at nice 19 every request would wait for a thread that barely runs,
    /// and helper threads it started would keep that priority).
    private struct DeferredChanges: @unchecked Sendable {
        let inode: fuse_ino_t
        let changes: [Deferred]
    }
    /// Guards `changeQueue` and `changeRunnerRunning`; the change thread waits on it.
    private let changeJobs = ConditionLock()
    nonisolated(unsafe) private var changeQueue: [DeferredChanges] = []
    nonisolated(unsafe) private var changeRunnerRunning = false

    init(enabled: Bool, threads: Int) {
        isEnabled = enabled
        limit = threads / 2
    }

    /// Hands the store of `record` after `ticket`'s READ (`store`) to the store thread and returns
    /// at once; nothing when stores are off or stopped. When `queueLimit` stores wait already (the
    /// store thread gets no processor time: the machine is busy), the calling worker makes the
    /// store itself, as every store was made before there was a store thread. Call it after the
    /// reply.
    ///
    /// The store thread runs at the lowest priority (`storeNice`), so that a store gives way to
    /// the daemon's workers (the READ that follows): on two processors a store made by the worker
    /// right after its reply shared a processor with them. Against other processes nice 19 counts
    /// only within the daemon's scheduling group (a daemonised mount has an autogroup of its own).
    /// The changes deferred behind its stores run on a change thread at the daemon's own priority
    /// (`runChanges`). Whether the store is still admitted is decided when it runs, as before
    /// (no change of the inode since the ticket, no writer, at most `limit` stores at once); the
    /// thread is not a request worker, so it takes no worker from the READs a store waits for.
    func storeLater(_ ticket: Ticket, record: [UInt8], recordStart: UInt64, request: Range<UInt64>) {
        guard session != nil, limit > 0, state.withLock({ !$0.stopped }) else { return }
        // Nothing to store (the READ took the whole record: a small file read whole): no hand-off.
        let (before, after) = Self.rangesToStore(recordStart..<recordStart + UInt64(record.count), answered: request)
        guard !before.isEmpty || !after.isEmpty else { return }
        let start = jobs.locked { () -> Bool? in
            guard queue.count < Self.queueLimit else { return nil }
            queue.append(Job(ticket: ticket, record: record, recordStart: recordStart, request: request))
            if storerRunning {
                jobs.signal()
                return false
            }
            storerRunning = true
            return true
        }
        guard let start else {
            record.withUnsafeBytes { store(ticket, record: $0, recordStart: recordStart, request: request) }
            return
        }
        guard start else { return }
        // The change thread first, from this worker (a thread inherits its creator's nice value);
        // no store thread without it.
        let changeThread = changeJobs.locked { () -> Bool in
            if !changeRunnerRunning { changeRunnerRunning = HostThread.detach({ self.runChanges() }) }
            return changeRunnerRunning
        }
        guard !changeThread || !HostThread.detach({ self.runStores() }) else { return }
        // No thread: the queued stores are not made, this one is made here (the next READ tries again).
        jobs.locked {
            queue.removeAll()
            storerRunning = false
        }
        changeJobs.locked { changeJobs.broadcast() }
        record.withUnsafeBytes { store(ticket, record: $0, recordStart: recordStart, request: request) }
    }

    /// The change thread (detached, started with the store thread): answers the changes deferred
    /// behind the store thread's stores, then ends each such store's count (`finishStores`
    /// returns once they are answered). It ends once stores stop, the store thread has ended and
    /// nothing waits; a store that finds it ended answers its changes itself (`answer`).
    private func runChanges() {
        while true {
            changeJobs.lock()
            while changeQueue.isEmpty && !(state.withLock({ $0.stopped }) && jobs.locked({ !storerRunning })) {
                changeJobs.wait(quietly: true)
            }
            guard !changeQueue.isEmpty else {
                changeRunnerRunning = false
                changeJobs.unlock()
                return
            }
            let job = changeQueue.removeFirst()
            changeJobs.unlock()
            answer(job.changes, of: job.inode)
        }
    }

    /// Runs `changes` (deferred behind a store of `inode`), then ends that store's count.
    private func answer(_ changes: [Deferred], of inode: fuse_ino_t) {
        for change in changes {
            change.run()
            state.withLock { $0.endChange(inode) }
        }
        endStore()
    }

    /// One store fewer running; the last once stores are stopped wakes `finishStores`.
    private func endStore() {
        let last = state.withLock { state -> Bool in
            state.running -= 1
            return state.stopped && state.running == 0
        }
        if last { idle.locked { idle.broadcast() } }
    }

    /// The store thread (detached; started by the first store, it ends when stores stop): makes
    /// the queued stores in order.
    private func runStores() {
        // Linux keeps a nice value per thread; PRIO_PROCESS with 0 names the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.storeNice)
        while true {
            jobs.lock()
            while queue.isEmpty && state.withLock({ !$0.stopped }) { jobs.wait(quietly: true) }
            guard !queue.isEmpty, state.withLock({ !$0.stopped }) else {
                queue.removeAll()
                storerRunning = false
                jobs.unlock()
                changeJobs.locked { changeJobs.broadcast() }
                return
            }
            let job = queue.removeFirst()
            jobs.unlock()
            job.record.withUnsafeBytes { bytes in
                store(job.ticket, record: bytes, recordStart: job.recordStart, request: job.request, onStoreThread: true)
            }
        }
    }

    /// Stores made, pages stored, and changes that waited for a store, so far.
    var counts: (stores: Int, pages: Int, deferred: Int) { state.withLock { ($0.stores, $0.pages, $0.deferredChanges) } }

    // MARK: Reads

    /// The ticket of a READ of `size` bytes at `offset` that may get a store, or nil: too large,
    /// not page-aligned, O_DIRECT, continuing the inode's last read, or a writer or change of the
    /// inode under way. Call it for every READ (it follows where each inode's reads end), before
    /// the read.
    func ticket(for inode: fuse_ino_t, offset: UInt64, size: Int, flags: Int32) -> Ticket? {
        guard isEnabled else { return nil }
        return state.withLock { state -> Ticket? in
            let slot = State.slot(inode, state.lastReadEnd.count)
            let continues = state.lastReadEnd[slot].inode == inode && state.lastReadEnd[slot].end == offset
            state.lastReadEnd[slot] = (inode, offset + UInt64(size))
            guard !continues, size <= Self.requestLimit, offset % Self.pageSize == 0, flags & Self.directFlag == 0 else { return nil }
            if let gate = state.gates[inode], gate.writers > 0 || gate.changes > 0 { return nil }
            return Ticket(inode: inode, sequence: state.sequence)
        }
    }

    /// Whether a store after `ticket`'s read would be admitted if it were made now (a free store
    /// slot, no change of the inode since the ticket, none under way). A read whose record will not
    /// be stored may be asked for again: `-o direct_reads` then reads it through the image's page
    /// cache, which keeps it for the next time.
    func wouldStore(_ ticket: Ticket) -> Bool {
        let inode = ticket.inode
        return state.withLock { state -> Bool in
            guard state.running < limit, !state.stopped,
                  state.lastChange[State.slot(inode, state.lastChange.count)] <= ticket.sequence else { return false }
            if let gate = state.gates[inode], gate.writers > 0 || gate.changes > 0 || gate.storing { return false }
            return true
        }
    }

    /// Stores `record` (the content of the inode from `recordStart`, already clamped to the size
    /// the engine had when it read it) except `request`, the range just answered; nothing when
    /// the inode changed since `ticket`, a writer or change is under way, or `limit` stores run.
    /// Call it after the reply.
    /// `onStoreThread`: the changes deferred behind it go to the change thread.
    func store(
        _ ticket: Ticket, record: UnsafeRawBufferPointer, recordStart: UInt64, request: Range<UInt64>,
        onStoreThread: Bool = false
    ) {
        let (before, after) = Self.rangesToStore(recordStart..<recordStart + UInt64(record.count), answered: request)
        guard let session, !before.isEmpty || !after.isEmpty else { return }
        let inode = ticket.inode
        let admitted = state.withLock { state -> Bool in
            guard state.running < limit, !state.stopped,
                  state.lastChange[State.slot(inode, state.lastChange.count)] <= ticket.sequence else { return false }
            if let gate = state.gates[inode], gate.writers > 0 || gate.changes > 0 || gate.storing { return false }
            state.gates[inode, default: Gate()].storing = true
            state.running += 1
            return true
        }
        guard admitted else { return }
        // The store may wait for a READ still to be read from /dev/fuse: the leader of our request
        // loop passes the reading on first (`EngineLock.setWaitHandler`).
        EngineLock.willWait()
        var pages = 0
        // Not once the loop is stopping: nobody may read the READ whose pages the store waits for.
        for range in [before, after] where !range.isEmpty && fuse_session_exited(session) == 0 {
            let start = Int(range.lowerBound - recordStart)
            guard let base = record.baseAddress else { continue }
            var vector = fuse_bufvec()
            vector.count = 1
            vector.buf.size = range.count
            vector.buf.mem = UnsafeMutableRawPointer(mutating: base + start)
            if fuse_lowlevel_notify_store(session, inode, off_t(range.lowerBound), &vector, fuse_buf_copy_flags(0)) == 0 {
                pages += (range.count + Int(Self.pageSize) - 1) / Int(Self.pageSize)
            }
        }
        let deferred = state.withLock { state -> [Deferred] in
            if pages > 0 { state.stores += 1 }
            state.pages += pages
            let waiting = state.gates[inode]?.deferred ?? []
            state.gates[inode]?.deferred = []
            state.gates[inode]?.storing = false
            // The deferred changes count from now, so no store starts before they have run.
            for _ in waiting { state.beginChange(inode) }
            state.forgetIfIdle(inode)
            return waiting
        }
        // Counted until its deferred changes have answered: `finishStores` returns only then, and
        // the session they reply through is destroyed after it (the store thread is joined by no one).
        if onStoreThread && !deferred.isEmpty {
            let handed = changeJobs.locked { () -> Bool in
                guard changeRunnerRunning else { return false }
                changeQueue.append(DeferredChanges(inode: inode, changes: deferred))
                changeJobs.signal()
                return true
            }
            if handed { return }
        }
        answer(deferred, of: inode)
    }

    /// The parts of `record` (a record's bytes in the file) a store puts: before and after the
    /// range `answered` (the READ's).
    static func rangesToStore(_ record: Range<UInt64>, answered: Range<UInt64>) -> (before: Range<UInt64>, after: Range<UInt64>) {
        let before = record.lowerBound..<max(record.lowerBound, min(answered.lowerBound, record.upperBound))
        let after = min(max(answered.upperBound, record.lowerBound), record.upperBound)..<record.upperBound
        return (before, after)
    }

    /// No more stores: the requests are served by a single thread, which cannot answer the READs a
    /// store would wait for.
    func stopStoring() {
        state.withLock { $0.stopped = true }
        jobs.locked { jobs.broadcast() }
        changeJobs.locked { changeJobs.broadcast() }
    }

    /// No more stores, and returns once every running store has ended and the changes deferred
    /// behind it have been answered. Called while the request loop still serves requests (the
    /// READs a store waits for), before the session is told to exit (`SignalShutdown`): a store
    /// that waits for a READ no thread will read any more never ends. Called again after the loop
    /// (`MountDaemon`) for stores admitted since, before the session is destroyed: by then the
    /// session has exited (stores put no page) or the unmount aborted the connection.
    func finishStores() {
        state.withLock { $0.stopped = true }
        // The store thread drops what waits and ends; a store it runs is waited for below (with
        // the changes deferred behind it, which the change thread answers).
        jobs.locked { jobs.broadcast() }
        changeJobs.locked { changeJobs.broadcast() }
        idle.lock()
        while state.withLock({ $0.running }) > 0 { idle.wait(quietly: true) }
        idle.unlock()
    }

    // MARK: Changes

    /// Runs `body`, which changes `inode`'s content or size (or opens it for writing) and answers
    /// its request, as a change of the inode: now, or right after the inode's running store ends
    /// (on the thread that ran it, or the change thread for the store thread's stores).
    func changing(_ inode: fuse_ino_t, _ body: @escaping () -> Void) {
        guard isEnabled else { return body() }
        let now = state.withLock { state -> Bool in
            if state.gates[inode]?.storing == true {
                state.gates[inode]?.deferred.append(Deferred(run: body))
                state.deferredChanges += 1
                return false
            }
            state.beginChange(inode)
            return true
        }
        guard now else { return }
        body()
        state.withLock { $0.endChange(inode) }
    }

    /// A handle of `inode` open for writing, until `closedWriter`. Call it before the OPEN or
    /// CREATE reply (inside `changing` for an inode that may have pages cached).
    func openedWriter(_ inode: fuse_ino_t) {
        guard isEnabled else { return }
        state.withLock { state in
            state.gates[inode, default: Gate()].writers += 1
            state.markChange(inode)
        }
    }

    /// The RELEASE of a handle `openedWriter` counted (or a failed OPEN reply).
    func closedWriter(_ inode: fuse_ino_t) {
        guard isEnabled else { return }
        state.withLock { state in
            guard let writers = state.gates[inode]?.writers, writers > 0 else { return }
            state.gates[inode]?.writers = writers - 1
            state.markChange(inode)
            state.forgetIfIdle(inode)
        }
    }
}
