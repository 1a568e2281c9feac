#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where the mount daemon reports problems: standard error in the foreground, the system log
/// once it runs in the background (its standard error is /dev/null then).
final class DaemonLog: Sendable {
    /// Whether lines go to the system log, and how many request errors there were; lines are
    /// written holding it, so they never interleave.
    private let state = Mutex<(useSystemLog: Bool, requestErrors: Int)>((false, 0))
    /// Request errors reported in full; after that only every 1000th, so a damaged image being
    /// walked cannot flood the log.
    static let requestErrorLimit = 100

    init() {}

    /// Switches to the system log (after forking into the background).
    func switchToSystemLog() {
        state.withLock { state in
            openlog("redoxfs", LOG_PID, LOG_DAEMON)
            state.useSystemLog = true
        }
    }

    func error(_ message: String) { emit(LOG_ERR, message) }

    func notice(_ message: String) { emit(LOG_NOTICE, message) }

    /// An I/O error answered to a request (a damaged block, a failing device).
    func requestError(_ message: String) {
        let count = state.withLock { state in
            state.requestErrors += 1
            return state.requestErrors
        }
        if count <= Self.requestErrorLimit {
            emit(LOG_ERR, message)
        } else if count % 1000 == 0 {
            emit(LOG_ERR, "\(count) requests failed with I/O errors so far; latest: \(message)")
        }
    }

    private func emit(_ priority: Int32, _ message: String) {
        state.withLock { state in
            if state.useSystemLog {
                message.withCString { text in
                    withVaList([text]) { vsyslog(priority, "%s", $0) }
                }
            } else {
                let line = "redoxfs: \(message)\n"
                _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
        }
    }
}
