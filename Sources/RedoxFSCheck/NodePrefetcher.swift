import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import Synchronization

/// Reads, decrypts and hash-verifies the node blocks of pass 2 on worker threads, ahead of the
/// checks that use them, so that the copy and SeaHash of 4 KiB per node run on the other core
/// while the main thread decodes, claims and counts. Each worker runs the format's one read rule
/// (`readVerifiedBlock`, through its own `CheckBlockReader`); the main thread takes the outcomes
/// in tree order and reports exactly what its own read would have, so the report does not change.
/// At most `aheadChunks` chunks of `chunkSize` nodes are held at once (4 MiB, so that the blocks
/// are still in the caches when the main thread takes them).
final class NodePrefetcher: @unchecked Sendable {
    /// The outcome of one read: the verified bytes, or the error the read threw.
    typealias Outcome = Result<[UInt8], FormatError>

    /// One node read ahead: the outcome of its read and, when it was read, its zero scan.
    struct Prefetched {
        var outcome: Outcome
        var scan: NodeScan?
    }

    static let chunkSize = 128

    /// Processors online (1 when unknown).
    static var onlineProcessors: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
    static let aheadChunks = 8

    private let pointers: [BlockPointer]
    /// The main thread's reader, copied by each worker (never read through here).
    private let template: CheckBlockReader
    /// Whether each pointer is read (a valid node pointer inside the readable blocks).
    private let wanted: [Bool]
    private let chunkCount: Int
    /// Chunk `c`'s outcomes: written by the one worker that took `c`, read by the main thread
    /// after `ready[c]` is signalled.
    private let slots: UnsafeMutablePointer<[Prefetched?]>
    private let ready: [DispatchSemaphore]
    /// Chunks the workers may still fill before the main thread takes one.
    /// (Made at 0 and signalled up: libdispatch traps when a semaphore is dropped below the
    /// value it was made with, as this one may be when the check stops early.)
    private let room = DispatchSemaphore(value: 0)
    private let nextChunk = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let workers = DispatchGroup()
    private let workerCount: Int
    /// The chunk the main thread is taking outcomes from (-1: none yet).
    private var current = -1

    /// Starts `workerCount` workers reading `pointers` through copies of `reader`; nil when the
    /// reader's device cannot be read from several threads (then the checks read as before).
    init?(reader: CheckBlockReader, pointers: [BlockPointer], workerCount: Int) {
        guard workerCount > 0, !pointers.isEmpty, reader.canReadConcurrently else { return nil }
        self.pointers = pointers
        let readable = reader.readableBlocks
        wanted = pointers.map { pointer in
            do throws(FormatError) {
                try checkPointer(pointer, as: .node, blockCount: reader.blockCount)
            } catch {
                return false
            }
            let address = pointer.address
            return address.index < readable && address.blockCount <= readable - address.index
        }
        chunkCount = (pointers.count + Self.chunkSize - 1) / Self.chunkSize
        slots = UnsafeMutablePointer<[Prefetched?]>.allocate(capacity: chunkCount)
        slots.initialize(repeating: [], count: chunkCount)
        ready = (0..<chunkCount).map { _ in DispatchSemaphore(value: 0) }
        self.workerCount = workerCount
        template = reader
        for _ in 0..<Self.aheadChunks { room.signal() }
        for _ in 0..<workerCount {
            DispatchQueue.global().async(group: workers) { [self] in
                var workerReader = template.copyForWorker()
                work(&workerReader)
            }
        }
    }

    deinit {
        slots.deinitialize(count: chunkCount)
        slots.deallocate()
    }

    /// Worker loop: takes the next chunk while there is room, reads it, hands it over.
    private func work(_ reader: inout CheckBlockReader) {
        while true {
            room.wait()
            let chunk = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            if stopping.load(ordering: .relaxed) || chunk >= chunkCount {
                room.signal()
                return
            }
            if chunk >= Self.aheadChunks {
                // The main thread is done with that chunk (it released it before this one could
                // be taken): its blocks are freed here, off the main thread.
                slots[chunk - Self.aheadChunks] = []
            }
            let range = chunk * Self.chunkSize..<min(pointers.count, (chunk + 1) * Self.chunkSize)
            var outcomes: [Prefetched?] = []
            outcomes.reserveCapacity(range.count)
            for position in range {
                guard wanted[position] else {
                    outcomes.append(nil)
                    continue
                }
                do throws(FormatError) {
                    let bytes = try reader.read(pointers[position], as: .node)
                    outcomes.append(Prefetched(outcome: .success(bytes), scan: NodeView(block: bytes).map(NodeScan.init)))
                } catch {
                    outcomes.append(Prefetched(outcome: .failure(error), scan: nil))
                }
            }
            slots[chunk] = outcomes
            ready[chunk].signal()
        }
    }

    /// The outcome of reading `pointers[position]`, or nil when it was not read ahead. Positions
    /// are taken in increasing order; a chunk is released when the next one is first asked for.
    func outcome(at position: Int) -> Prefetched? {
        guard position >= 0, position < pointers.count else { return nil }
        let chunk = position / Self.chunkSize
        while current < chunk {
            if current >= 0 { room.signal() }  // its blocks are freed by the worker that takes a later chunk
            current += 1
            ready[current].wait()
        }
        guard chunk == current else { return nil }  // an earlier chunk, already released
        return slots[chunk][position - chunk * Self.chunkSize]
    }

    /// Stops the workers and waits for them (call before dropping the prefetcher).
    func finish() {
        stopping.store(true, ordering: .relaxed)
        for _ in 0..<workerCount { room.signal() }
        workers.wait()
    }
}
