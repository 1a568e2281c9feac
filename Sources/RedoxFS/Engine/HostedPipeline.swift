#if canImport(Glibc)
import Glibc
#endif
import RedoxFSEngine
import Synchronization

/// `EngineProviders.pipeline` on two threads: a helper thread prepares stages 1, 2, … while the
/// caller prepares stage 0 and then finishes each stage in order, so that an encrypted commit
/// encrypts the next megabyte on the other core while it writes the last one (the encryption
/// then leaves the commit's critical path, which every changing call waits for). A call with
/// more than one stage takes a helper from the providers' `HelperPool` (a parked one, or one
/// started for it); when none can be had (no thread, or the pool is shut down), the stages run
/// on the caller's thread as in the default.
extension HostedProviders {
    public func pipeline<E: Error>(count: Int, prepare: (Int) -> Void, finish: (Int) throws(E) -> Void) throws(E) {
        guard count > 1 else {
            if count == 1 {
                prepare(0)
                try finish(0)
            }
            return
        }
        try withoutActuallyEscaping(prepare) { (prepare) throws(E) in
            let signals = PipelineSignals()
            let work = PipelineWork(prepare)
            // Posted once the helper's work is over and released (it captures `prepare`).
            let helperDone = CountingSemaphore(0)
            let helping = helpers.run({
                for stage in 1..<count {
                    // Stage `stage` reuses the buffers of `stage - 2`: wait for its finish.
                    signals.room.wait()
                    if signals.cancelled.load(ordering: .acquiring) { break }
                    work.prepare(stage)
                    signals.prepared.post()
                }
            }, finished: helperDone)
            guard helping else {
                for stage in 0..<count {
                    prepare(stage)
                    try finish(stage)
                }
                return
            }
            prepare(0)
            for stage in 0..<count {
                if stage > 0 { signals.prepared.wait() }
                do throws(E) {
                    try finish(stage)
                } catch {
                    signals.cancelled.store(true, ordering: .releasing)
                    signals.room.post()
                    helperDone.wait()
                    throw error
                }
                signals.room.post()
            }
            helperDone.wait()
        }
    }
}

/// The `prepare` of one pipeline, handed to its helper thread, which runs it while the caller
/// waits in `pipeline` (the closure does not outlive the call).
private final class PipelineWork: @unchecked Sendable {
    let prepare: (Int) -> Void

    init(_ prepare: @escaping (Int) -> Void) {
        self.prepare = prepare
    }
}

/// The two counts a pipeline's threads wait on, and whether the caller stopped it.
private final class PipelineSignals: Sendable {
    /// Stages the helper may prepare: one at the start (stage 1, beside the caller's stage 0),
    /// one more per stage finished.
    let room = CountingSemaphore(1)
    /// Stages the helper has prepared and the caller not yet finished.
    let prepared = CountingSemaphore(0)
    /// Set when a `finish` failed: the helper prepares nothing more.
    let cancelled = Atomic(false)
}

/// A POSIX unnamed semaphore.
final class CountingSemaphore: @unchecked Sendable {
    private let raw = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init(_ value: UInt32) {
        sem_init(raw, 0, value)
    }

    deinit {
        sem_destroy(raw)
        raw.deallocate()
    }

    func wait() {
        while sem_wait(raw) != 0 && errno == EINTR {}
    }

    func post() {
        sem_post(raw)
    }
}
