#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for a task that mostly waits (`NodePrefetcher`'s workers and hints), so
/// that it never queues behind other work on libdispatch's pool, which is as wide as the cores
/// (and grows by about a thread a second when all of its threads wait).
struct HelperThread {
    private let thread: pthread_t

    /// Starts `body` on a new thread; nil when no thread could be made (then run it elsewhere).
    init?(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let box = Unmanaged<Box>.fromOpaque(argument).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard started == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        self.thread = thread
    }

    /// Waits for the body to return.
    func join() {
        pthread_join(thread, nil)
    }
}
