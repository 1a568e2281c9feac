#if canImport(Glibc)
import Glibc
#endif
import CFuse3
import RedoxFS
import Synchronization

/// Ends the mount on SIGTERM, SIGINT or SIGHUP only once no store of a record's other pages runs
/// (`RecordPageStore`), so that the daemon always gets to its final commit.
///
/// libfuse's handlers (`fuse_set_signal_handlers`) mark the session exited at once, and both
/// request loops then stop reading `/dev/fuse` (libfuse's cancels its workers and joins them; a
/// request a worker reads at that moment is dropped). A store waits for the page locks of a READ
/// that may still be queued there: it then waited until the connection was aborted, and so did the
/// loop, which joins every worker, and the final commit behind it. Here the handlers of those
/// signals (where libfuse installed its own: an ignored SIGHUP stays ignored) only write a byte
/// into a pipe (async-signal-safe). A thread of ours reads it, stops new stores and waits for the
/// running ones while the loop still answers every request (`RecordPageStore.finishStores`), then
/// marks the session exited and interrupts the loop's wait: libfuse's main thread waits in
/// `sem_wait`, which a signal interrupts (`RequestLoop.wakeSignal`, sent again until the loop has
/// returned, in case it came just before the wait); our loop polls for the exit.
final class SignalShutdown: @unchecked Sendable {
    private static let signals = [SIGTERM, SIGINT, SIGHUP]

    private let session: OpaquePointer
    private let pageStore: RecordPageStore
    private let readEnd: Int32
    private let writeEnd: Int32
    /// The thread that runs the request loop (the one that calls `start`).
    private let loopThread = pthread_self()
    private let state = ConditionLock()
    private var loopEnded = false
    private var thread: HostThread?
    /// The signals whose handler is ours, with libfuse's action for each.
    private var replaced: [(signal: Int32, action: sigaction)] = []

    /// A shutdown for `session`, or nil when no pipe can be had (libfuse's handlers then stay).
    init?(session: OpaquePointer, pageStore: RecordPageStore) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // The handler must never wait (a full pipe already says enough); the thread waits to read.
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        self.session = session
        self.pageStore = pageStore
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    /// Starts the thread and puts our handler in place of libfuse's. Call it on the thread that
    /// then runs the request loop, after `fuse_set_signal_handlers` and `fuse_daemonize`.
    func start() {
        // Installs the wake signal's handler (it does nothing) before anything may send it.
        guard RequestLoop.wakeHandlerInstalled else { return }
        RequestLoop.unblockWakeSignal()
        do {
            thread = try HostThread.start { self.watch() }
        } catch {
            return
        }
        signalPipe.store(writeEnd, ordering: .releasing)
        for signal in Self.signals {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0 else { continue }
            // SIG_DFL is 0, SIG_IGN 1: libfuse installed nothing there.
            guard unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) > 1 else { continue }
            var ours = sigaction()
            ours.__sigaction_handler.sa_handler = signalShutdownHandler
            sigemptyset(&ours.sa_mask)
            ours.sa_flags = 0
            if sigaction(signal, &ours, nil) == 0 { replaced.append((signal, current)) }
        }
    }

    /// Puts libfuse's handlers back (so that `fuse_remove_signal_handlers` removes them), ends the
    /// thread and closes the pipe. Call it once the request loop has returned.
    func finish() {
        for (signal, action) in replaced {
            var action = action
            sigaction(signal, &action, nil)
        }
        replaced = []
        state.locked {
            loopEnded = true
            state.broadcast()
        }
        var byte: UInt8 = 0
        _ = write(writeEnd, &byte, 1)
        thread?.join()
        thread = nil
        signalPipe.store(-1, ordering: .releasing)
        close(readEnd)
        close(writeEnd)
    }

    /// Ignores SIGTERM, SIGINT and SIGHUP from now on: called once libfuse's handlers are gone
    /// and the daemon unmounts and makes its final commit, which a second Ctrl-C (or a
    /// supervisor's repeated kill) would otherwise cut short. The process exits after it.
    static func ignoreUntilExit() {
        for signal in signals { _ = Glibc.signal(signal, SIG_IGN) }
    }

    /// Waits for a signal (or the loop's end), then ends the session once no store runs.
    private func watch() {
        var bytes = [UInt8](repeating: 0, count: 16)
        while true {
            let count = bytes.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            let failure = count < 0 ? errno : 0
            if state.locked({ loopEnded }) { return }
            if count > 0 { break }
            if failure == EINTR { continue }
            // The pipe cannot tell of a signal any more: end the session now, as libfuse's
            // handlers would have (the loop's wake below); never leave a signal unanswered.
            break
        }
        pageStore.finishStores()
        fuse_session_exit(session)
        state.lock()
        while !loopEnded {
            pthread_kill(loopThread, RequestLoop.wakeSignal)
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            deadline.tv_nsec += 20_000_000
            if deadline.tv_nsec >= 1_000_000_000 {
                deadline.tv_sec += 1
                deadline.tv_nsec -= 1_000_000_000
            }
            _ = state.wait(until: deadline)
        }
        state.unlock()
    }
}

/// The write end of the running `SignalShutdown`'s pipe (set before its handlers are in place, -1
/// again before it is closed). An atomic `let`: the handler reads it with no exclusivity check or
/// lazy initialisation, in debug builds too.
private let signalPipe = Atomic<Int32>(-1)

/// The handler of SIGTERM, SIGINT and SIGHUP while a `SignalShutdown` runs: one byte into its pipe.
private let signalShutdownHandler: @convention(c) (Int32) -> Void = { _ in
    let saved = errno
    var byte: UInt8 = 1
    let descriptor = signalPipe.load(ordering: .acquiring)
    if descriptor >= 0 { _ = write(descriptor, &byte, 1) }
    errno = saved
}
