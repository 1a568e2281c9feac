#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// A background thread that commits the open transaction every `interval` seconds when it holds
/// changes or a pending header, so a crash loses at most that much; fsync and the unmount commit
/// on their own.
final class CommitTimer: @unchecked Sendable {
    private let fileSystem: FileSystem
    private let interval: Double
    private let log: DaemonLog
    /// Runs before each look for changes (hands the mount's gathered writes to the engine).
    private let beforeCommit: @Sendable () -> Void
    private let signals = ConditionLock()
    private var stopping = false
    private var thread: HostThread?

    init(fileSystem: FileSystem, interval: Double, log: DaemonLog, beforeCommit: @escaping @Sendable () -> Void = {}) {
        self.fileSystem = fileSystem
        self.beforeCommit = beforeCommit
        self.interval = interval
        self.log = log
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
        signals.locked {
            stopping = true
            signals.signal()
        }
        thread?.join()
        thread = nil
    }

    private func run() {
        guard interval > 0 else { return }
        signals.lock()
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
            var waiting = true
            while !stopping && waiting {
                waiting = signals.wait(until: deadline)
            }
            if stopping { break }
            signals.unlock()
            beforeCommit()
            // A header an automatic commit left pending (`-o overlap_commits`) counts as a change:
            // the commit writes it, so that nothing stays undurable longer than the interval.
            if fileSystem.hasUncommittedChanges || fileSystem.hasPendingHeader {
                do {
                    try fileSystem.commit()
                } catch {
                    log.error("periodic commit failed: \(error)")
                }
            }
            signals.lock()
        }
        signals.unlock()
    }
}
