#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// A background thread that commits the open transaction every `interval` seconds when it holds
/// changes, so a crash loses at most that much; fsync and the unmount commit on their own.
final class CommitTimer: @unchecked Sendable {
    private let fileSystem: FileSystem
    private let interval: Double
    private let log: DaemonLog
    /// Runs before each look for changes (hands the mount's gathered writes to the engine).
    private let beforeCommit: @Sendable () -> Void
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var stopping = false
    private var thread: HostThread?

    init(fileSystem: FileSystem, interval: Double, log: DaemonLog, beforeCommit: @escaping @Sendable () -> Void = {}) {
        self.fileSystem = fileSystem
        self.beforeCommit = beforeCommit
        self.interval = interval
        self.log = log
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Starts the thread.
    func start() {
        do {
            thread = try HostThread.start { self.run() }
        } catch {
            log.error("cannot start the commit timer: \(String(cString: strerror(error.code)))")
        }
    }

    /// Stops the thread and waits for it (a commit in progress finishes first).
    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        thread?.join()
        thread = nil
    }

    private func run() {
        guard interval > 0 else { return }
        pthread_mutex_lock(&mutex)
        while !stopping {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let whole = Int(interval)
            let fraction = Int((interval - Double(whole)) * 1e9)
            deadline.tv_sec += whole
            deadline.tv_nsec += fraction
            if deadline.tv_nsec >= 1_000_000_000 {
                deadline.tv_sec += 1
                deadline.tv_nsec -= 1_000_000_000
            }
            var result: Int32 = 0
            while !stopping && result != ETIMEDOUT {
                result = pthread_cond_timedwait(&condition, &mutex, &deadline)
            }
            if stopping { break }
            pthread_mutex_unlock(&mutex)
            beforeCommit()
            if fileSystem.hasUncommittedChanges {
                do {
                    try fileSystem.commit()
                } catch {
                    log.error("periodic commit failed: \(error)")
                }
            }
            pthread_mutex_lock(&mutex)
        }
        pthread_mutex_unlock(&mutex)
    }
}
