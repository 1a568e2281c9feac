#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// A mutex and its condition variable (timed waits on the monotonic clock), kept at fixed
/// addresses on the heap: pthread objects must never move, and a Swift stored property passed
/// with `&` is not promised a stable address.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() {
        pthread_mutex_lock(mutex)
    }

    func unlock() {
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` holding the lock.
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Waits for a `signal` or `broadcast` (or a spurious wake-up); call it holding the lock.
    /// Runs the thread's wait handler first (`EngineLock.setWaitHandler`: a request loop's
    /// leader hands the reading of requests on), unless `quietly`.
    func wait(quietly: Bool = false) {
        if !quietly { EngineLock.willWait() }
        pthread_cond_wait(condition, mutex)
    }

    /// Waits as `wait` does, at most until `deadline` (CLOCK_MONOTONIC); false once it passed.
    func wait(until deadline: timespec) -> Bool {
        var deadline = deadline
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
    }

    func signal() {
        pthread_cond_signal(condition)
    }

    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
