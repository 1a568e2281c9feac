#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import Synchronization

/// The mount's own multi-threaded request loop (`-o loop=leader`), in place of libfuse's
/// `fuse_session_loop_mt` (`-o loop=libfuse`, the default).
///
/// libfuse's loop keeps every idle worker blocked in `read()` of `/dev/fuse`, and the kernel hands
/// each request to the one that has waited longest: every request costs a full wake-up of a cold
/// thread, often on the other processor, even when the thread that just replied could take it.
/// Here only one worker, the leader, reads requests; the others wait on a condition variable. The
/// leader serves a request itself and goes back to reading (no hand-off, no wake-up), unless the
/// request may wait long: then it first passes the reading on to a waiting worker (or starts one,
/// up to `maxWorkers`) and serves the request as an ordinary worker. A request waits long
///
/// - by its kind (`mayWait`): large reads and writes, fsync, fsyncdir, fallocate,
///   copy_file_range, blocking locks;
/// - or when it finds the engine's lock taken, enters a commit's device I/O, reads blocks of the
///   image that are not in the page cache (`FileDevice` tries without waiting first), pushes pages
///   into the kernel's cache (`RecordPageStore`), or waits on one of the mount's condition
///   variables: the leader's `EngineLock` wait handler passes the reading on before it waits. So a
///   read of cached data is served by the leader, and a reader is never held up behind a thread
///   that waits.
///
/// The loop ends when the file system is unmounted (the read returns 0 or ENODEV) or the session
/// is told to exit (on a signal, by `SignalShutdown` once no store runs, or by the handlers of
/// `fuse_set_signal_handlers` where it could not start); the calling thread waits
/// for that, interrupts the leader's read if it must (with a signal of our own, `wakeSignal`,
/// whatever the disposition of SIGHUP), and joins every worker.
final class RequestLoop: @unchecked Sendable {
    /// One worker thread's own state (only that thread changes it; `isLeader` under `state`).
    private final class Worker {
        var isLeader = false
    }

    private let session: OpaquePointer
    private let maxWorkers: Int
    /// Guards everything below; waiting workers wait on its condition.
    private let state = ConditionLock()
    private var hasLeader = false
    private var leaderThread = pthread_t()
    private var waiting = 0
    private var started = 0
    private var running = 0
    private var exiting = false
    private var error: Int32 = 0
    private var threads: [HostThread] = []
    /// Hand-offs by opcode and by a wait handler, and how many found a waiting worker.
    private(set) var counts = (byKind: 0, byWait: 0, toWaiting: 0)
    /// READs the leader took on: served to the end while leading, and handed off on the way.
    private let readsServed = Atomic<Int>(0)
    private let readsHandedOff = Atomic<Int>(0)
    /// The calling thread waits on this one for the last worker's end.
    private let finished = ConditionLock()
    private var ended = false

    init(session: OpaquePointer, maxWorkers: Int) {
        self.session = session
        self.maxWorkers = max(maxWorkers, 1)
    }

    /// Serves requests until the unmount or an exit signal; returns 0, or a negative errno when
    /// reading a request failed (or no thread could be started).
    func run() -> Int32 {
        _ = Self.wakeHandlerInstalled
        state.lock()
        let startError = startWorker()
        state.unlock()
        guard startError == 0 else { return -startError }
        finished.lock()
        var stopping = false
        while !ended {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            // Poll for an exit signal that reached another thread than the leader.
            deadline.tv_nsec += stopping ? 20_000_000 : 250_000_000
            if deadline.tv_nsec >= 1_000_000_000 {
                deadline.tv_sec += 1
                deadline.tv_nsec -= 1_000_000_000
            }
            _ = finished.wait(until: deadline)
            if !ended && fuse_session_exited(session) != 0 {
                stopping = true
                finished.unlock()
                stopWorkers()
                finished.lock()
            }
        }
        finished.unlock()
        state.lock()
        let all = threads
        threads = []
        let result = error
        let counted = counts
        let workers = started
        state.unlock()
        if getenv("REDOXFS_STATS") != nil {
            let line = "redoxfs: request loop: \(workers) workers; hand-offs: \(counted.byKind) by request kind, "
                + "\(counted.byWait) before a wait, \(counted.toWaiting) to a waiting worker; "
                + "\(readsServed.load(ordering: .relaxed)) reads served by the leader, "
                + "\(readsHandedOff.load(ordering: .relaxed)) reads handed off\n"
            _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        }
        for thread in all { thread.join() }
        return result
    }

    /// Tells every worker to end and interrupts the leader's read. Call it without `state`.
    private func stopWorkers() {
        state.locked {
            exiting = true
            state.broadcast()
            // Our handler does nothing: the read returns EINTR. (The caller sends it again while
            // the loop runs, in case it came just before the leader's read.)
            // Without our handler the signal's default action would end the process before the
            // final commit: then the read ends with the unmount or the next request instead.
            if hasLeader && Self.wakeHandlerInstalled { pthread_kill(leaderThread, Self.wakeSignal) }
        }
    }

    /// The signal that interrupts the leader's read of `/dev/fuse` when the loop must end: the
    /// first real-time signal, with a handler of our own that does nothing (installed without
    /// SA_RESTART by `run`). SIGHUP, which libfuse's handlers leave alone when it is ignored (a
    /// daemon started under `nohup`), would not do.
    static let wakeSignal = __libc_current_sigrtmin()

    /// Installs the handler of `wakeSignal` (once per process); whether that succeeded.
    static let wakeHandlerInstalled: Bool = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        return sigaction(wakeSignal, &action, nil) == 0
    }()

    /// Lets `wakeSignal` reach the calling thread (a mask inherited from whoever started the daemon
    /// must not hold it back).
    static func unblockWakeSignal() {
        var wake = sigset_t()
        sigemptyset(&wake)
        sigaddset(&wake, wakeSignal)
        pthread_sigmask(SIG_UNBLOCK, &wake, nil)
    }

    /// Starts one more worker; call it holding `state`. Returns 0 or pthread_create's error.
    private func startWorker() -> Int32 {
        started += 1
        running += 1
        do {
            threads.append(try HostThread.start { self.work() })
            return 0
        } catch {
            started -= 1
            running -= 1
            return error.code
        }
    }

    /// Passes the reading of requests on: to a waiting worker, else to a new one while there
    /// are fewer than `maxWorkers`, else to whichever worker is done first.
    private func handOff(_ worker: Worker, byKind: Bool) {
        guard worker.isLeader else { return }
        // Only the leader has a wait handler (and reads the device without waiting first).
        EngineLock.setWaitHandler(nil)
        state.locked {
            worker.isLeader = false
            hasLeader = false
            if byKind { counts.byKind += 1 } else { counts.byWait += 1 }
            if exiting { return }
            if waiting > 0 {
                counts.toWaiting += 1
                state.signal()
            } else if started < maxWorkers {
                _ = startWorker()
            }
        }
    }

    /// One worker: waits to lead, then reads and serves requests while it leads.
    private func work() {
        Self.unblockWakeSignal()
        let worker = Worker()
        let handler: () -> Void = { [unowned self] in self.handOff(worker, byKind: false) }
        var buffer = fuse_buf()
        defer {
            EngineLock.setWaitHandler(nil)
            free(buffer.mem)
        }
        state.lock()
        leading: while true {
            while hasLeader && !exiting {
                waiting += 1
                state.wait(quietly: true)
                waiting -= 1
            }
            if exiting { break }
            hasLeader = true
            worker.isLeader = true
            leaderThread = pthread_self()
            state.unlock()
            EngineLock.setWaitHandler(handler)
            while true {
                let received = fuse_session_receive_buf(session, &buffer)
                if received == -EINTR || received == -EAGAIN {
                    if fuse_session_exited(session) == 0 { continue }
                }
                if received <= 0 || fuse_session_exited(session) != 0 {
                    EngineLock.setWaitHandler(nil)
                    // A request read as the session exited is answered all the same (by this
                    // thread, no hand-off). Left unanswered, the kernel would hold its caller until
                    // the unmount closes /dev/fuse and then fail it (ECONNABORTED): a WRITE of the
                    // writeback lost, an fsync failed. And where libfuse's own handlers ended the
                    // session (`SignalShutdown` could not start), a store running in another worker
                    // may wait for this READ's pages: the loop, which joins that worker, and the
                    // close of /dev/fuse after it would then wait for ever. No store starts after
                    // the exit (`RecordPageStore.store` checks it): answering waits for no other request.
                    // Only this one request: READs still queued in the kernel stay unread, so a
                    // store already waiting for one of those can still hold the join (libfuse's
                    // handlers only; `SignalShutdown` waits for running stores before the exit).
                    if received > 0 { fuse_session_process_buf(session, &buffer) }
                    state.lock()
                    end(worker, received)
                    break leading
                }
                if Self.mayWait(buffer) { handOff(worker, byKind: true) }
                let isRead = worker.isLeader && Self.opcode(buffer) == Self.read
                fuse_session_process_buf(session, &buffer)
                if isRead {
                    if worker.isLeader {
                        readsServed.add(1, ordering: .relaxed)
                    } else {
                        readsHandedOff.add(1, ordering: .relaxed)
                    }
                }
                if !worker.isLeader { break }
            }
            state.lock()
        }
        running -= 1
        let last = running == 0
        state.unlock()
        if last {
            finished.locked {
                ended = true
                finished.signal()
            }
        }
    }

    /// The end of the loop, seen by the leader; call it holding `state`.
    private func end(_ worker: Worker, _ received: Int32) {
        if received < 0 && received != -ENODEV && received != -EINTR && received != -EAGAIN && error == 0 {
            error = received
        }
        exiting = true
        worker.isLeader = false
        hasLeader = false
        state.broadcast()
    }

    /// Opcodes (linux/fuse.h) of requests that may wait long (READ and WRITE only when large).
    private static let read: UInt32 = 15
    private static let write: UInt32 = 16
    private static let fsync: UInt32 = 20
    private static let fsyncdir: UInt32 = 30
    private static let setlkw: UInt32 = 33
    private static let fallocate: UInt32 = 43
    private static let copyFileRange: UInt32 = 47
    /// Writes up to this size (the writeback of a few pages, gathered or written at once) are
    /// served by the leader: they wait only where the wait handler passes the reading on.
    private static let smallWrite: UInt32 = 32 << 10
    /// Reads up to this size (a default record; small files, random reads) are served by the
    /// leader as long as what they need is in the image's page cache (else the device's read
    /// passes the reading on first). Larger ones (readahead of a stream) are handed off, so that
    /// several are formed at once.
    private static let smallRead: UInt32 = 128 << 10
    /// Where a READ's size lies: after the 40-byte `fuse_in_header`, in `fuse_read_in` (fh,
    /// offset, size).
    private static let readSizeOffset = 56

    /// The opcode of the request in `buffer` (0 when it is not in memory).
    static func opcode(_ buffer: fuse_buf) -> UInt32 {
        guard buffer.flags.rawValue & FUSE_BUF_IS_FD.rawValue == 0, let memory = buffer.mem, buffer.size >= 8 else { return 0 }
        return memory.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
    }

    /// Whether the request in `buffer` may wait long (a request libfuse left in its splice pipe
    /// is a large one, a write: it does). Listings are served by the leader: they wait only
    /// where the device or the engine's lock passes the reading on.
    static func mayWait(_ buffer: fuse_buf) -> Bool {
        if buffer.flags.rawValue & FUSE_BUF_IS_FD.rawValue != 0 { return true }
        guard let memory = buffer.mem, buffer.size >= 8 else { return false }
        let length = memory.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        switch memory.loadUnaligned(fromByteOffset: 4, as: UInt32.self) {
        case fsync, fsyncdir, setlkw, fallocate, copyFileRange:
            return true
        case read:
            guard buffer.size >= readSizeOffset + 4 else { return true }
            return memory.loadUnaligned(fromByteOffset: readSizeOffset, as: UInt32.self) > smallRead
        case write:
            return length > smallWrite
        default:
            return false
        }
    }
}
