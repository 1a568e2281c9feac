#if canImport(Glibc)
import Glibc
#endif

/// A host thread running one closure: the pthread start-up the hosted tools share (the mount's
/// commit timer and readahead tuning, ar's read-ahead). The closure, and what it captures, is
/// released when it returns.
public struct HostThread: Sendable {
    /// `pthread_create` refused to start a thread (its error number; the closure is not run).
    public struct StartError: Error, Equatable {
        public var code: Int32
    }

    private let handle: pthread_t

    /// Starts `body` on a new thread; `join()` waits for it.
    public static func start(_ body: @escaping @Sendable () -> Void) throws(StartError) -> HostThread {
        HostThread(handle: try create(body, detached: false))
    }

    /// Starts `body` on a new detached thread (nobody waits for it); false when it cannot start.
    @discardableResult
    public static func detach(_ body: @escaping @Sendable () -> Void) -> Bool {
        (try? create(body, detached: true)) != nil
    }

    /// Waits for the thread to end (once: a thread can be joined only once).
    public func join() {
        pthread_join(handle, nil)
    }

    private final class Work: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private static func create(_ body: @escaping @Sendable () -> Void, detached: Bool) throws(StartError) -> pthread_t {
        let context = Unmanaged.passRetained(Work(body)).toOpaque()
        var handle = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        let result = pthread_create(&handle, &attributes, { context in
            guard let context else { return nil }
            Unmanaged<Work>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, context)
        pthread_attr_destroy(&attributes)
        guard result == 0 else {
            Unmanaged<Work>.fromOpaque(context).release()
            throw StartError(code: result)
        }
        return handle
    }
}
