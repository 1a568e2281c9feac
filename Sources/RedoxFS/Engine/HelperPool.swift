#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Parked helper threads that the hosted providers hand work to (`forEachConcurrently`'s large
/// reads, `pipeline`'s encrypted commits), so that a call does not start a thread of its own: a
/// call takes a parked helper, or starts one when none is parked, and the helper parks again
/// (waiting on a semaphore of its own) once the work is done. Nothing is started before the
/// first call; at most `maximumParked` helpers stay parked, others end after their work.
///
/// `shared` serves every engine of the process (a mount has one engine, whose request loop runs
/// a few calls at a time); its parked helpers last as long as the process. A pool of one's own
/// (tests) ends its helpers with `shutDown()`.
public final class HelperPool: Sendable {
    /// The pool of the hosted providers made with `HostedProviders()`.
    public static let shared = HelperPool()

    private struct State {
        var parked: [Helper] = []
        /// Helpers started and not yet ended.
        var alive = 0
        var isShutDown = false
        /// The process the helpers run in: a child made by `fork` (the daemon going to the
        /// background) has none of them, and starts its own.
        var process: pid_t = 0
    }

    private let state = Mutex(State())
    private let started = Atomic(0)
    /// Posted by each helper that ends because the pool is shut down.
    private let ended = CountingSemaphore(0)
    /// The most helpers kept parked.
    public let maximumParked: Int

    /// A pool that keeps up to `maximumParked` helpers parked (the shared one: 4, two READs in
    /// flight and a commit with room to spare).
    public init(maximumParked: Int = 4) {
        self.maximumParked = maximumParked
    }

    /// The threads this pool has started.
    public var threadsStarted: Int { started.load(ordering: .relaxed) }

    /// The helpers parked now.
    public var parkedCount: Int { state.withLock { $0.parked.count } }

    /// Whether `shutDown` has been called.
    public var isShutDown: Bool { state.withLock { $0.isShutDown } }

    /// Returns once every helper of this process is parked (none runs work or holds the pool's
    /// lock), so that a `fork` now leaves the child no lock held by a thread it does not have.
    /// Called before the daemon goes to the background; bounded by the work in progress.
    public func waitUntilIdle() {
        let process = getpid()
        while state.withLock({ $0.process == process && $0.alive > $0.parked.count }) {
            usleep(100)
        }
    }

    /// Runs `job` on a helper thread and returns at once; `finished` (if any) is posted once
    /// `job` has returned and been released, so that a caller waiting for it may end the
    /// lifetime of what `job` captured (a closure made escapable by `withoutActuallyEscaping`).
    /// False when no helper could be had (no thread could be started, or the pool is shut
    /// down): `job` is then not run, and `finished` not posted.
    func run(_ job: @escaping @Sendable () -> Void, finished: CountingSemaphore? = nil) -> Bool {
        enum Source { case parked(Helper), new, none }
        let process = getpid()
        let source = state.withLock { (state) -> Source in
            if state.isShutDown { return .none }
            if state.process != process {
                state = State(process: process)
            }
            if let helper = state.parked.popLast() { return .parked(helper) }
            state.alive += 1
            return .new
        }
        switch source {
        case .parked(let helper):
            helper.hand(job, finished: finished)
            return true
        case .none:
            return false
        case .new:
            let helper = Helper()
            helper.hand(job, finished: finished)
            guard HostThread.detach({ helper.serve(in: self) }) else {
                let signalsEnd = state.withLock { (state) -> Bool in
                    state.alive -= 1
                    return state.isShutDown
                }
                if signalsEnd { ended.post() }
                return false
            }
            started.add(1, ordering: .relaxed)
            return true
        }
    }

    /// Whether `helper`, done with its work, parks (true) or ends.
    fileprivate func park(_ helper: Helper) -> Bool {
        let (parks, signalsEnd) = state.withLock { (state) -> (Bool, Bool) in
            if !state.isShutDown && state.parked.count < maximumParked {
                state.parked.append(helper)
                return (true, false)
            }
            state.alive -= 1
            return (false, state.isShutDown)
        }
        if signalsEnd { ended.post() }
        return parks
    }

    /// Ends every helper: parked ones at once, busy ones once their work is done; returns when
    /// all have ended. Later `run` calls return false (their callers then work alone). Called
    /// once, by the pool's owner (a second call returns at once).
    public func shutDown() {
        let (parked, waiting) = state.withLock { (state) -> ([Helper], Int) in
            if state.isShutDown { return ([], 0) }
            state.isShutDown = true
            let parked = state.parked
            state.parked = []
            state.alive -= parked.count
            return (parked, state.alive)
        }
        for helper in parked { helper.hand(nil, finished: nil) }
        for _ in 0..<waiting { ended.wait() }
    }
}

/// One helper thread: it waits on `wake` for a job (nil: end), runs it, releases it, posts the
/// job's `finished`, and asks the pool whether to park again.
private final class Helper: @unchecked Sendable {
    private let wake = CountingSemaphore(0)
    /// Written by the thread that hands the job, before `wake` is posted; read by the helper
    /// after its wait (the semaphore orders the two).
    private var job: (@Sendable () -> Void)?
    private var finished: CountingSemaphore?

    func hand(_ job: (@Sendable () -> Void)?, finished: CountingSemaphore?) {
        self.job = job
        self.finished = finished
        wake.post()
    }

    func serve(in pool: HelperPool) {
        while true {
            wake.wait()
            guard var work = job else { return }
            let done = finished
            job = nil
            finished = nil
            work()
            // Released before `done` is posted: the waiting caller may then end what it captured.
            work = {}
            done?.post()
            guard pool.park(self) else { return }
        }
    }
}
