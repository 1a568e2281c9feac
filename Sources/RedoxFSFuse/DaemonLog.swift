#if canImport(Glibc)
import Glibc
#endif

/// Where the mount daemon reports problems: standard error in the foreground, the system log
/// once it runs in the background (its standard error is /dev/null then).
public final class DaemonLog: @unchecked Sendable {
    private var useSystemLog = false
    private var mutex = pthread_mutex_t()

    public init() { pthread_mutex_init(&mutex, nil) }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Switches to the system log (after forking into the background).
    public func switchToSystemLog() {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        openlog("redoxfs", LOG_PID, LOG_DAEMON)
        useSystemLog = true
    }

    public func error(_ message: String) { emit(LOG_ERR, message) }

    public func notice(_ message: String) { emit(LOG_NOTICE, message) }

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
