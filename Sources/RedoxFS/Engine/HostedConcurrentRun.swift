#if canImport(Glibc)
import Glibc
#endif
import RedoxFSEngine
import Synchronization

/// `EngineProviders.forEachConcurrently` on two threads: the caller and a helper thread (a parked
/// one of `helpers`, woken per call) take the items one at a time from a shared counter, so that
/// a large encrypted read decrypts and verifies its pieces on both processors. The caller never
/// waits for the helper to start: when the helper comes late (the other processor is busy), the
/// caller takes every item itself and waits only for items the helper has taken. Once the items
/// are gone the helper touches nothing of the call's (it keeps the shared counter alive until it
/// parks again). When no helper can be had, the caller runs every item.
extension HostedProviders {
    public func forEachConcurrently(count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { (body) in
            withUnsafePointer(to: body) { (pointer) in
                let run = ConcurrentRun(count: count, body: pointer)
                let helping = helpers.run { _ = run.takeItems(onHelper: true) }
                let taken = run.takeItems(onHelper: false)
                if helping && taken < count {
                    // A request loop's leader passes the reading of requests on before it waits.
                    EngineLock.willWait()
                    for _ in taken..<count { run.helperFinished.wait() }
                }
            }
        }
    }
}

/// The shared state of one `forEachConcurrently`: the next item to take and the helper's
/// finished items. `body` is only called for an item taken, and the caller returns only once
/// every item taken has finished, so the helper never calls it after the call.
private final class ConcurrentRun: @unchecked Sendable {
    let count: Int
    let body: UnsafePointer<(Int) -> Void>
    let next = Atomic<Int>(0)
    /// Posted once per item the helper has finished.
    let helperFinished = CountingSemaphore(0)

    init(count: Int, body: UnsafePointer<(Int) -> Void>) {
        self.count = count
        self.body = body
    }

    /// Takes and runs items until none is left; the number taken.
    func takeItems(onHelper: Bool) -> Int {
        var taken = 0
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < count else { return taken }
            body.pointee(index)
            taken += 1
            if onHelper { helperFinished.post() }
        }
    }
}
