import Dispatch
import Synchronization

/// Read-ahead hints (`ReadHints`) given on a thread of its own: the thread that submits them goes
/// on at once while the kernel allocates the pages and queues their reads. Pass 2's tree walk
/// submits the node blocks of each level-0 list it reads, so the disk reads the first nodes
/// while the walk is still reading lists. Batches found cached are skipped, and when the first
/// `warmBatches` batches all are, the queue drops the rest (a warm check).
final class HintQueue: @unchecked Sendable {
    private let hints: ReadHints
    private let pending = Mutex<[[(start: UInt64, count: UInt64)]]>([])
    /// Batches submitted and not taken, and one more signal when closed (made at 0, signalled up).
    private let available = DispatchSemaphore(value: 0)
    private let closed = Atomic<Bool>(false)
    private let warm = Atomic<Bool>(false)
    private var thread: HelperThread?

    /// Batches found cached at the start after which the queue stops hinting.
    static let warmBatches = 8

    init?(hints: ReadHints?) {
        guard let hints else { return nil }
        self.hints = hints
        thread = HelperThread { [self] in run() }
        if thread == nil { return nil }
    }

    /// Whether the queue stopped because what it was given was cached.
    var isWarm: Bool { warm.load(ordering: .relaxed) }

    /// Queues `ranges` (start, count) to be asked for, in order after what came before.
    func submit(_ ranges: [(start: UInt64, count: UInt64)]) {
        guard !ranges.isEmpty, !warm.load(ordering: .relaxed) else { return }
        pending.withLock { $0.append(ranges) }
        available.signal()
    }

    /// Lets the thread finish what is queued and waits for it.
    func close() {
        closed.store(true, ordering: .relaxed)
        available.signal()
        thread?.join()
        thread = nil
    }

    private func run() {
        var cachedFirst = 0
        while true {
            available.wait()
            let batch = pending.withLock { queue -> [(start: UInt64, count: UInt64)]? in
                queue.isEmpty ? nil : queue.removeFirst()
            }
            guard var batch else {
                if closed.load(ordering: .relaxed) { return }
                continue
            }
            if warm.load(ordering: .relaxed) { continue }
            let asked = hints.willNeed(&batch)
            cachedFirst = asked ? -1 : cachedFirst < 0 ? -1 : cachedFirst + 1
            if cachedFirst == Self.warmBatches { warm.store(true, ordering: .relaxed) }
        }
    }
}
