#if canImport(Glibc)
import Glibc
#endif
import RedoxFSEngine

/// The hosted engine's lock: a reader-writer lock, so that calls that only read the file system
/// (lookups, attributes, content, listings, links, statistics) run together on the FUSE mount's
/// threads, while changing calls run alone.
///
/// Made of three pthread primitives:
/// - `writers`, a mutex every exclusive holder takes first and keeps to the end, including
///   through a commit's device I/O, when it lets readers back in (`admittingReaders`);
/// - `readers`, a writer-preferring reader-writer lock: shared holders take it for reading,
///   exclusive holders for writing (so a waiting writer holds new readers back instead of
///   starving);
/// - `cacheMutex`, a plain mutex for the short `guarded` sections (the block cache).
///
/// Nesting is tracked per thread (`HeldEngineLocks`): a thread holding the lock exclusively may
/// take it again in either mode, a thread holding it shared may take it shared again; a thread
/// holding it only shared asking for it exclusively is a bug in the engine (it would deadlock)
/// and stops the process with a message.
public final class EngineLock: EngineLocking, @unchecked Sendable {
    private let writers = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let readers = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    private let cacheMutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(writers, nil)
        pthread_mutex_init(cacheMutex, nil)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(readers, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(readers)
        pthread_mutex_destroy(writers)
        pthread_mutex_destroy(cacheMutex)
        readers.deallocate()
        writers.deallocate()
        cacheMutex.deallocate()
    }

    private var identity: ObjectIdentifier { ObjectIdentifier(self) }

    public func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let held = HeldEngineLocks.current
        let holding = held.holding(of: identity)
        if holding.exclusive > 0 {
            held.update(identity) { $0.exclusive += 1 }
            defer { held.update(identity) { $0.exclusive -= 1 } }
            return try body()
        }
        precondition(holding.shared == 0, "engine lock: a thread holding it shared asked for it exclusively")
        precondition(!holding.admitting, "engine lock: a commit admitting readers asked for it exclusively")
        var warned = false
        if pthread_mutex_trylock(writers) != 0 {
            held.willWait()
            warned = true
            pthread_mutex_lock(writers)
        }
        if pthread_rwlock_trywrlock(readers) != 0 {
            if !warned { held.willWait() }
            pthread_rwlock_wrlock(readers)
        }
        held.update(identity) { $0.exclusive = 1 }
        defer {
            held.update(identity) { $0.exclusive = 0 }
            pthread_rwlock_unlock(readers)
            pthread_mutex_unlock(writers)
        }
        return try body()
    }

    public func sharedLocked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let held = HeldEngineLocks.current
        let holding = held.holding(of: identity)
        if holding.exclusive > 0 { return try body() }
        if holding.shared > 0 {
            held.update(identity) { $0.shared += 1 }
            defer { held.update(identity) { $0.shared -= 1 } }
            return try body()
        }
        if pthread_rwlock_tryrdlock(readers) != 0 {
            held.willWait()
            pthread_rwlock_rdlock(readers)
        }
        held.update(identity) { $0.shared = 1 }
        defer {
            held.update(identity) { $0.shared = 0 }
            pthread_rwlock_unlock(readers)
        }
        return try body()
    }

    public func admittingReaders<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let held = HeldEngineLocks.current
        let depth = held.holding(of: identity).exclusive
        guard depth > 0 else { return try body() }
        // The body waits for the device (a commit's writes and flushes).
        held.willWait()
        // Still holding `writers`: no other exclusive holder can enter until we are done.
        held.update(identity) { $0.exclusive = 0; $0.admitting = true }
        pthread_rwlock_unlock(readers)
        defer {
            pthread_rwlock_wrlock(readers)
            held.update(identity) { $0.exclusive = depth; $0.admitting = false }
        }
        return try body()
    }

    /// Sets what the calling thread runs each time it is about to wait: for this lock (or any
    /// other `EngineLock`) held by another thread, for a commit's device I/O, for a read of a
    /// `FileDevice` whose blocks are not in the page cache, or wherever a front end calls
    /// `willWait()`. The FUSE mount's request loop hands the reading of `/dev/fuse` to
    /// another thread there. Nil removes it.
    public static func setWaitHandler(_ handler: (() -> Void)?) {
        HeldEngineLocks.current.waitHandler = handler
    }

    /// Runs the calling thread's wait handler, if it has one (see `setWaitHandler`).
    public static func willWait() {
        HeldEngineLocks.current.willWait()
    }

    /// Runs `body` with the calling thread's device reads taken as random ones: a `FileDevice`
    /// reads them without the kernel's readahead. The FUSE mount's small random READs use it for
    /// their record and the lists above it: read through the readahead descriptor, 5,000 random
    /// 4 KiB reads of a file of 4 KiB records made the disk read 43 MB for their ~22 MB (runs of
    /// readahead requests of up to 1 MiB); inside it, 28.5 MB.
    public static func readingAtRandom<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try readingAtRandom(unless: false, body)
    }

    /// `readingAtRandom(_:)`, or `body` as it is when `exempt`.
    public static func readingAtRandom<T, E: Error>(unless exempt: Bool, _ body: () throws(E) -> T) throws(E) -> T {
        if exempt { return try body() }
        let held = HeldEngineLocks.current
        let before = held.readsAtRandom
        held.readsAtRandom = true
        defer { held.readsAtRandom = before }
        return try body()
    }

    /// Whether the calling thread is inside `readingAtRandom`.
    public static var readsAtRandom: Bool {
        HeldEngineLocks.current.readsAtRandom
    }

    /// Whether the calling thread has a wait handler: then a device read that would wait for the
    /// disk (`FileDevice`) first tries without waiting, and runs the handler before it waits.
    public static var hasWaitHandler: Bool {
        HeldEngineLocks.current.waitHandler != nil
    }

    public func guarded<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(cacheMutex)
        defer { pthread_mutex_unlock(cacheMutex) }
        return body()
    }
}

/// What the calling thread holds of each `EngineLock` (a thread-specific value): how deep it has
/// taken each lock exclusively and shared; also its wait handler and its read hint
/// (`readingAtRandom`).
final class HeldEngineLocks {
    struct Holding {
        var exclusive = 0
        var shared = 0
        /// Inside `admittingReaders` (the writer mutex is still held).
        var admitting = false
        var isIdle: Bool { exclusive == 0 && shared == 0 && !admitting }
    }

    private var locks: [ObjectIdentifier] = []
    private var holdings: [Holding] = []
    /// What this thread runs before it waits (`EngineLock.setWaitHandler`).
    var waitHandler: (() -> Void)?
    /// Inside `EngineLock.readingAtRandom`.
    var readsAtRandom = false

    func willWait() {
        waitHandler?()
    }

    func holding(of lock: ObjectIdentifier) -> Holding {
        guard let index = locks.firstIndex(of: lock) else { return Holding() }
        return holdings[index]
    }

    func update(_ lock: ObjectIdentifier, _ change: (inout Holding) -> Void) {
        if let index = locks.firstIndex(of: lock) {
            change(&holdings[index])
            if holdings[index].isIdle {
                locks.remove(at: index)
                holdings.remove(at: index)
            }
            return
        }
        var holding = Holding()
        change(&holding)
        if !holding.isIdle {
            locks.append(lock)
            holdings.append(holding)
        }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<HeldEngineLocks>.fromOpaque(pointer).release()
        }
        return key
    }()

    /// The calling thread's record.
    static var current: HeldEngineLocks {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<HeldEngineLocks>.fromOpaque(pointer).takeUnretainedValue()
        }
        let made = HeldEngineLocks()
        pthread_setspecific(key, Unmanaged.passRetained(made).toOpaque())
        return made
    }
}
