#if canImport(Glibc)
import Glibc
#endif
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import Synchronization
import Testing

/// `HelperPool`, the parked helper threads of the hosted `forEachConcurrently` and `pipeline`:
/// calls in a row reuse one thread (threads counted, never timed), concurrent calls get helpers
/// of their own, a shut-down pool ends its parked helpers and leaves the caller working alone,
/// and split reads of an encrypted file through one pool give the model's bytes and refuse a
/// damaged record as the one-piece read does, call after call.
@Suite struct HelperPoolTests {
    /// How many 500 µs sleeps a wait for other threads takes before it gives up: minutes, a hang
    /// guard (a correct pool meets and parks at once; a busy machine may leave a helper without
    /// a core for seconds).
    static let sleepLimit = 600_000

    /// A count shared by threads.
    final class Counter: Sendable {
        let value = Atomic(0)
    }

    /// Waits until `pool` has `count` helpers parked (a helper parks once its call's work is
    /// done, possibly after the call returned); false after 600,000 short sleeps (minutes: a
    /// hang guard, since a helper starved by other suites on a busy machine may park late).
    static func parks(_ pool: HelperPool, _ count: Int) -> Bool {
        for _ in 0..<Self.sleepLimit {
            if pool.parkedCount == count { return true }
            usleep(500)
        }
        return false
    }

    /// `forEachConcurrently` of `items` items, each waiting until `target` items (of this and
    /// other calls) have started, which needs that many threads at once; false when the wait
    /// ran out (bounded by a count of short sleeps, so a hook without helpers fails instead of
    /// hanging).
    static func meet(_ providers: HostedProviders, items: Int = 2, started: Counter = Counter(), target: Int) -> Bool {
        let met = Atomic(true)
        providers.forEachConcurrently(count: items) { _ in
            started.value.add(1, ordering: .acquiringAndReleasing)
            var sleeps = 0
            while started.value.load(ordering: .acquiring) < target {
                if sleeps == Self.sleepLimit {
                    met.store(false, ordering: .relaxed)
                    return
                }
                usleep(500)
                sleeps += 1
            }
        }
        return met.load(ordering: .relaxed)
    }

    /// A pipeline of `count` stages: whether every finish ran in order and every stage after the
    /// first was prepared on another thread than the caller's.
    static func pipelineUsesAHelper(_ providers: HostedProviders, count: Int) -> Bool {
        let caller = pthread_self()
        let finished = Mutex<[Int]>([])
        let preparedElsewhere = Atomic(0)
        providers.pipeline(count: count) { _ in
            if pthread_equal(pthread_self(), caller) == 0 { preparedElsewhere.add(1, ordering: .relaxed) }
        } finish: { stage in
            finished.withLock { $0.append(stage) }
        }
        return finished.withLock { $0 } == Array(0..<count) && preparedElsewhere.load(ordering: .relaxed) == count - 1
    }

    /// Many calls in a row, each needing a second thread, start one thread.
    @Test func callsInARowShareOneHelper() {
        let pool = HelperPool()
        let providers = HostedProviders(helpers: pool)
        for _ in 0..<25 {
            #expect(Self.meet(providers, target: 2))
            #expect(Self.parks(pool, 1))
        }
        #expect(pool.threadsStarted == 1)
        pool.shutDown()
    }

    /// Encrypted commits' pipelines and split reads take turns with the same helper.
    @Test func pipelinesAndSplitReadsShareOneHelper() {
        let pool = HelperPool()
        let providers = HostedProviders(helpers: pool)
        for round in 0..<10 {
            #expect(Self.pipelineUsesAHelper(providers, count: 2 + round))
            #expect(Self.parks(pool, 1))
            #expect(Self.meet(providers, target: 2))
            #expect(Self.parks(pool, 1))
        }
        #expect(pool.threadsStarted == 1)
        pool.shutDown()
    }

    /// Two calls at once (each item waits until all four have started) get a helper each: a
    /// busy helper is never handed a second call. With one helper allowed to park, the other ends.
    @Test func concurrentCallsGetHelpersOfTheirOwn() throws {
        let pool = HelperPool(maximumParked: 1)
        let providers = HostedProviders(helpers: pool)
        let started = Counter()
        let otherMet = Atomic(false)
        let other = try HostThread.start {
            otherMet.store(Self.meet(providers, started: started, target: 4), ordering: .relaxed)
        }
        let met = Self.meet(providers, started: started, target: 4)
        other.join()
        let otherDidMeet = otherMet.load(ordering: .relaxed)
        #expect(met)
        #expect(otherDidMeet)
        #expect(pool.threadsStarted == 2)
        #expect(Self.parks(pool, 1))
        pool.shutDown()
        #expect(pool.parkedCount == 0)
    }

    /// Shutting a pool down with a parked helper returns (the helper ends); later calls run every
    /// item and stage on the caller's thread.
    @Test func shutDownEndsAParkedHelper() {
        let pool = HelperPool()
        let providers = HostedProviders(helpers: pool)
        #expect(Self.meet(providers, target: 2))
        #expect(Self.parks(pool, 1))
        pool.shutDown()
        #expect(pool.parkedCount == 0)
        let caller = pthread_self()
        let items = Mutex<[Int]>([])
        let elsewhere = Atomic(0)
        providers.forEachConcurrently(count: 6) { index in
            items.withLock { $0.append(index) }
            if pthread_equal(pthread_self(), caller) == 0 { elsewhere.add(1, ordering: .relaxed) }
        }
        #expect(items.withLock { $0 } == Array(0..<6))
        var finished: [Int] = []
        providers.pipeline(count: 4) { _ in
            if pthread_equal(pthread_self(), caller) == 0 { elsewhere.add(1, ordering: .relaxed) }
        } finish: { stage in
            finished.append(stage)
        }
        #expect(finished == Array(0..<4))
        #expect(elsewhere.load(ordering: .relaxed) == 0)
        #expect(pool.threadsStarted == 1)
    }

    /// A pool shut down while its helper is busy waits for that work to end; the helper then
    /// ends instead of parking.
    @Test func shutDownWaitsForABusyHelper() throws {
        let pool = HelperPool()
        let providers = HostedProviders(helpers: pool)
        let release = CountingSemaphore(0)
        let helperStarted = CountingSemaphore(0)
        let itemsRun = Atomic(0)
        let caller = try HostThread.start {
            providers.forEachConcurrently(count: 2) { _ in
                itemsRun.add(1, ordering: .relaxed)
                helperStarted.post()
                release.wait()
            }
        }
        // Both items have started (one on the helper, one on the calling thread).
        helperStarted.wait()
        helperStarted.wait()
        let shutDownReturned = Atomic(false)
        let shutDown = try HostThread.start {
            pool.shutDown()
            shutDownReturned.store(true, ordering: .releasing)
        }
        // Once the pool is shut down, `shutDown` must not return while the helper's item is
        // still held (a bounded number of looks, not a time).
        var looks = 0
        while !pool.isShutDown && looks < 10_000_000 {
            looks += 1
            sched_yield()
        }
        #expect(pool.isShutDown)
        for _ in 0..<10_000 {
            let returned = shutDownReturned.load(ordering: .acquiring)
            #expect(!returned)
            sched_yield()
        }
        release.post()
        release.post()
        caller.join()
        shutDown.join()
        let returned = shutDownReturned.load(ordering: .acquiring)
        #expect(returned)
        #expect(itemsRun.load(ordering: .relaxed) == 2)
        #expect(pool.parkedCount == 0)
        #expect(pool.threadsStarted == 1)
    }

    /// Split reads of an encrypted file, one after another through one pool: the model's bytes
    /// each time, one helper thread for all; a damaged record is refused with the one-piece
    /// read's error on every try.
    @Test func splitReadsInARowUseOneHelper() throws {
        let pool = HelperPool()
        let providers = HostedProviders(helpers: pool)
        let (device, content) = try SplitReadTests.image(encrypted: true)
        let engine = try SplitReadTests.open(device, encrypted: true, providers: providers)
        for round in 0..<20 {
            let offset = round * 100_003 % (SplitReadTests.fileSize - (1 << 20))
            let bytes = try SplitReadTests.read(engine, at: UInt64(offset), count: 1 << 20).get()
            #expect(bytes == Array(content[offset..<(offset + (1 << 20))]), "\(offset)")
            #expect(Self.parks(pool, 1))
        }
        #expect(engine.providers.runs.calls.withLock { $0.count } == 20)
        let block = try SplitReadTests.recordBlock(engine, record: 11)
        let image = SplitReadTests.damaged(device, block: block)
        let split = try SplitReadTests.open(image, encrypted: true, providers: providers)
        let whole = try SplitReadTests.open(image, encrypted: true)
        whole.splitsLargeReads = false
        let offset = UInt64(2 << 17) + 777, count = 2 << 20
        let expected = SplitReadTests.read(whole, at: offset, count: count)
        guard case .failure(let before) = expected else {
            Issue.record("the damaged record was read in one piece")
            return
        }
        for _ in 0..<10 {
            guard case .failure(let error) = SplitReadTests.read(split, at: offset, count: count) else {
                Issue.record("the damaged record was read in pieces")
                continue
            }
            #expect(error == before)
            #expect(Self.parks(pool, 1))
        }
        #expect(split.providers.runs.calls.withLock { $0.count } == 10)
        #expect(pool.threadsStarted == 1)
        pool.shutDown()
    }
}
