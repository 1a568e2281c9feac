#if canImport(Glibc)
import Glibc
#endif

/// Where the mount daemon reports problems: standard error in the foreground, the system log
/// once it runs in the background (its standard error is /dev/null then).
final class DaemonLog: @unchecked Sendable {
    private var useSystemLog = false
    private var requestErrors = 0
    /// Request errors reported in full; after that only every 1000th, so a damaged image being
    /// walked cannot flood the log.
    static let requestErrorLimit = 100
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Switches to the system log (after forking into the background).
    func switchToSystemLog() {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        openlog("redoxfs", LOG_PID, LOG_DAEMON)
        useSystemLog = true
    }

    func error(_ message: String) { emit(LOG_ERR, message) }

    func notice(_ message: String) { emit(LOG_NOTICE, message) }

    /// An I/O error answered to a request (a damaged block, a failing device).
    func requestError(_ message: String) {
        pthread_mutex_lock(&mutex)
        requestErrors += 1
        let count = requestErrors
        pthread_mutex_unlock(&mutex)
        if count <= Self.requestErrorLimit {
            emit(LOG_ERR, message)
        } else if count % 1000 == 0 {
            emit(LOG_ERR, "\(count) requests failed with I/O errors so far; latest: \(message)")
        }
    }

    private func emit(_ priority: Int32, _ message: String) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if useSystemLog {
            message.withCString { text in
                withVaList([text]) { vsyslog(priority, "%s", $0) }
            }
        } else {
            let line = "redoxfs: \(message)\n"
            _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
    }
}
