#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Starts the write-back of an image file's dirty pages (`sync_file_range` with
/// SYNC_FILE_RANGE_WRITE) on a thread of its own, so that the caller does not wait while the
/// kernel queues tens of MiB of pages (an overlapped commit's blocks: 10–15 ms for 32 MiB, all of
/// it inside the commit, where every other changing call waits). Requests that come while a
/// kick is queued or running join it: a kick covers every page dirty when it starts, and the
/// next one the rest. Only a hint: durability still comes from the flushes.
final class WritebackKicker: Sendable {
    typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32

    /// The thread's side: what it reads requests from and what it kicks.
    private final class Context {
        let requests: Int32
        let descriptor: Int32
        let syncFileRange: SyncFileRange

        init(requests: Int32, descriptor: Int32, syncFileRange: @escaping SyncFileRange) {
            self.requests = requests
            self.descriptor = descriptor
            self.syncFileRange = syncFileRange
        }
    }

    /// The pipe's write end and the thread, once started, and the process that started it (a
    /// child forked later, as a daemonizing mount is, has no such thread: it starts its own).
    private struct Running {
        var requests: Int32
        /// The thread's end of the pipe (the thread closes it; a forked child closes its copy).
        var listener: Int32
        var thread: pthread_t
        var process: pid_t
    }

    private enum State {
        case idle
        case running(Running)
        case inline
        case stopped
    }

    private let descriptor: Int32
    private let syncFileRange: SyncFileRange
    private let state = Mutex<State>(.idle)

    init(descriptor: Int32, syncFileRange: @escaping SyncFileRange) {
        self.descriptor = descriptor
        self.syncFileRange = syncFileRange
    }

    /// SYNC_FILE_RANGE_WRITE of <fcntl.h>.
    static let write: UInt32 = 2

    /// Asks for a write-back of every dirty page of the file and returns at once (when the
    /// thread cannot be started, it is made here, as before).
    func request() {
        let pipeEnd: Int32? = state.withLock { state in
            if case .running(let running) = state, running.process != getpid() {
                Glibc.close(running.requests)
                Glibc.close(running.listener)
                state = .idle
            }
            if case .idle = state { state = start() }
            switch state {
            case .running(let running): return running.requests
            case .inline: return -1
            case .idle, .stopped: return nil
            }
        }
        guard let pipeEnd else { return }
        if pipeEnd < 0 {
            _ = syncFileRange(descriptor, 0, 0, Self.write)
            return
        }
        var byte: UInt8 = 1
        // A full pipe (EAGAIN) means kicks are queued already.
        _ = Glibc.write(pipeEnd, &byte, 1)
    }

    /// Ends the thread after the kick it is making, if any; call before closing the descriptor.
    func stop() {
        let running: Running? = state.withLock { state in
            defer { state = .stopped }
            if case .running(let running) = state { return running }
            return nil
        }
        guard let running else { return }
        Glibc.close(running.requests)  // the thread reads the end of the pipe and returns
        if running.process == getpid() {
            pthread_join(running.thread, nil)
        } else {
            Glibc.close(running.listener)  // a forked child's copy; the thread is its parent's
        }
    }

    /// The thread and its pipe, or `.inline` when either cannot be made.
    private func start() -> State {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return .inline }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        let context = Unmanaged.passRetained(Context(requests: ends[0], descriptor: descriptor, syncFileRange: syncFileRange))
        var thread = pthread_t()
        let made = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let context = Unmanaged<Context>.fromOpaque(raw).takeRetainedValue()
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(context.requests, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                _ = context.syncFileRange(context.descriptor, 0, 0, WritebackKicker.write)
            }
            Glibc.close(context.requests)
            return nil
        }, context.toOpaque())
        guard made == 0 else {
            context.release()
            Glibc.close(ends[0])
            Glibc.close(ends[1])
            return .inline
        }
        return .running(Running(requests: ends[1], listener: ends[0], thread: thread, process: getpid()))
    }
}
