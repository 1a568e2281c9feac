import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import Synchronization

/// Reads, decrypts and hash-verifies the node blocks of pass 2 on worker threads, ahead of the
/// checks that use them, so that the copy and SeaHash of 4 KiB per node run on the other core
/// while the main thread decodes, claims and counts. The main thread takes the outcomes in tree
/// order and reports exactly what its own read would have, so the report does not change.
///
/// The nodes are taken in chunks of `chunkSize` consecutive tree positions. A worker sorts a
/// chunk's node blocks by address and reads each run of nearby blocks with one `pread` (runs of
/// at most `maximumRunBlocks`, bridging gaps of up to `bridgedGap` blocks that are not nodes)
/// into the chunk's arena, then decrypts and verifies every node block in place with the format's
/// rule (`verifyBlock`, the second half of `readVerifiedBlock`): no copy and no allocation per
/// node, a few system calls per chunk instead of one per node or window. A node whose run fails to
/// read, or that shares a block with another node of its chunk, is read alone through the
/// checker's reader (`readVerifiedBlock`), so that its outcome is exactly the one-block read's.
/// At most `aheadChunks` chunks are held at once; their arenas are reused.
final class NodePrefetcher: @unchecked Sendable {
    /// The outcome of one read: the verified node block in place, or the error the read threw.
    typealias Outcome = Result<NodeView, FormatError>

    /// One node read ahead: the outcome of its read and, when it was read, its zero scan.
    struct Prefetched {
        var outcome: Outcome
        var scan: NodeScan?
    }

    /// A chunk of tree positions as a worker filled it.
    private struct Chunk {
        /// The node blocks read, run after run (kept from chunk to chunk: no allocation per chunk).
        var arena: [UInt8] = []
        /// The outcome of each position of the chunk (nil: not read ahead).
        var entries: [Prefetched?] = []
    }

    /// What one worker keeps from chunk to chunk.
    private struct WorkerState {
        var reader: CheckBlockReader
        /// The chunk's node blocks in address order.
        var plan: [(position: Int, start: UInt64, count: UInt64)] = []
        /// Where each block of `plan` lies in the arena, in bytes (-1: read alone).
        var arenaOffsets: [Int] = []
        /// Runs of blocks read with one call: blocks `start..<end`, `plan[first...last]`, from
        /// arena block `arenaBlock` on.
        var runs: [(start: UInt64, end: UInt64, first: Int, last: Int, arenaBlock: Int)] = []
        /// The outcome of each block of `plan` read from the arena (nil: read it alone).
        var errors: [FormatError?] = []
        /// A run's one-block node blocks, decrypted, to hash at once (`BatchSeaHash`), their
        /// numbers in `plan`, and their hashes.
        var batch: [UnsafePointer<UInt8>?] = []
        var batchIndices: [Int] = []
        var hashes: [UInt64] = []
    }

    static let chunkSize = 256
    static let aheadChunks = 4
    /// Blocks that are not asked for (data records between nodes) read through rather than
    /// splitting a run: copying a few 4 KiB blocks costs less than another system call.
    static let bridgedGap: UInt64 = 2
    /// The longest single read (256 KiB): its blocks are still in the core's cache when verified.
    static let maximumRunBlocks: UInt64 = 64

    /// Chunks whose node blocks the hint thread asks for (`ReadHints`) ahead of the chunks the
    /// workers took: on a cold cache the disk then reads them in large ranges, many at once,
    /// instead of one run per worker at a time (about 1.4 MB of node blocks a chunk).
    static let hintedChunks = 64

    /// Chunks found cached at the start after which the hint thread stops (`hintChunks`).
    static let warmChunks = 8

    /// Processors online (1 when unknown).
    static var onlineProcessors: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    private let pointers: [BlockPointer]
    /// The main thread's reader, copied by each worker (never read through here).
    private let template: CheckBlockReader
    /// Whether each pointer is read (a valid node pointer inside the readable blocks).
    private let wanted: [Bool]
    private let chunkCount: Int
    /// `aheadChunks` chunks in turn: chunk `c` in `ring[c % aheadChunks]`, written by the one
    /// worker that took `c`, read by the main thread after `ready[c]` is signalled.
    private let ring: UnsafeMutablePointer<Chunk>
    private let ready: [DispatchSemaphore]
    /// Chunks the workers may still fill before the main thread takes one.
    /// (Made at 0 and signalled up: libdispatch traps when a semaphore is dropped below the
    /// value it was made with, as this one may be when the check stops early.)
    private let room = DispatchSemaphore(value: 0)
    private let nextChunk = Atomic<Int>(0)
    /// Where the kernel is told of blocks to come (nil: not an image file or block device).
    private let hints: ReadHints?
    /// The thread that asks for the chunks' node blocks ahead (nil: no hints).
    private var hinter: HelperThread?
    /// Chunks the hint thread may ask for before the workers take another one (made at 0 and
    /// signalled up, as `room`).
    private let hintRoom = DispatchSemaphore(value: 0)
    /// Whether the last chunk hinted was not all cached: directory blocks are hinted only then.
    private let cold = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// The workers' threads (as many as could be made, at most the count asked for).
    private var workerThreads: [HelperThread] = []
    private var workerCount = 0
    /// The chunk the main thread is taking outcomes from (-1: none yet).
    private var current = -1

    /// Starts `workerCount` workers reading `pointers` through copies of `reader`; nil when the
    /// reader's device cannot be read from several threads or no worker thread could be made
    /// (then the checks read as before).
    /// `hintedAlready` positions from the start were asked for by the tree walk (`TreePass`).
    init?(reader: CheckBlockReader, pointers: [BlockPointer], workerCount: Int, hintedAlready: Int = 0) {
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
        ring = UnsafeMutablePointer<Chunk>.allocate(capacity: Self.aheadChunks)
        ring.initialize(repeating: Chunk(), count: Self.aheadChunks)
        ready = (0..<chunkCount).map { _ in DispatchSemaphore(value: 0) }
        template = reader
        hints = reader.readHints
        for _ in 0..<Self.aheadChunks { room.signal() }
        let firstHinted = hintedAlready / Self.chunkSize
        // Read by the workers (`hintDirectory`): set before they start.
        cold.store(hints != nil && firstHinted > 0, ordering: .relaxed)
        // Threads of their own, not libdispatch's pool: a worker mostly waits (for room, for the
        // disk), and the main thread waits for the workers. A check run on a pool thread (a
        // Swift Testing test, an async caller) would otherwise wait for workers queued behind
        // other work on a pool whose threads all wait, which libdispatch widens by about one
        // thread a second. Only the threads made count; with none the checks read alone.
        var made: [HelperThread] = []
        for _ in 0..<workerCount {
            guard let thread = HelperThread({ [self] in
                var state = WorkerState(reader: template.copyForWorker())
                work(&state)
            }) else { break }
            made.append(thread)
        }
        workerThreads = made
        self.workerCount = made.count
        guard !made.isEmpty else { return nil }
        if let hints, Self.hintedChunks > 0 {
            for _ in 0..<Self.hintedChunks { hintRoom.signal() }
            hinter = HelperThread { [self] in hintChunks(hints, from: firstHinted) }
        }
    }

    deinit {
        ring.deinitialize(count: Self.aheadChunks)
        ring.deallocate()
    }

    /// Worker loop: takes the next chunk while there is room, reads it, hands it over.
    private func work(_ state: inout WorkerState) {
        while true {
            room.wait()
            let chunk = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            if stopping.load(ordering: .relaxed) || chunk >= chunkCount {
                room.signal()
                return
            }
            hintRoom.signal()  // the hint thread may ask for one chunk more
            // The main thread is done with the chunk that used this slot before (it released it
            // before this one could be taken): its arena and entries are reused here.
            let slot = chunk % Self.aheadChunks
            var filled = Chunk()
            swap(&filled, &ring[slot])
            fill(&filled, chunk: chunk, state: &state)
            swap(&filled, &ring[slot])
            ready[chunk].signal()
        }
    }

    /// The hint thread: asks for the node blocks of chunk after chunk, at most `hintedChunks`
    /// ahead of the chunks the workers took. The system call waits while the kernel allocates
    /// the pages and queues their reads (about a tenth of a second for 500 MB), so it runs on a
    /// thread of its own rather than on the workers or the main thread.
    /// When the first `warmChunks` chunks it looks at are all in the page cache, the check is
    /// warm and the thread stops (a check whose cache runs out further on reads the rest without
    /// hints). Once a chunk was not cached it goes on to the end: the kernel's own read-ahead may
    /// have cached the next chunks, not the ones after.
    private func hintChunks(_ hints: ReadHints, from first: Int) {
        var ranges: [(start: UInt64, count: UInt64)] = []
        var cachedFirst = 0
        for chunk in 0..<chunkCount {
            hintRoom.wait()
            if stopping.load(ordering: .relaxed) { return }
            guard chunk >= first else { continue }  // asked for already: only keep the distance
            ranges.removeAll(keepingCapacity: true)
            for position in chunk * Self.chunkSize..<min(pointers.count, (chunk + 1) * Self.chunkSize) where wanted[position] {
                let address = pointers[position].address
                ranges.append((address.index, address.blockCount))
            }
            let asked = hints.willNeed(&ranges)
            cold.store(asked, ordering: .relaxed)
            cachedFirst = asked ? -1 : cachedFirst < 0 ? -1 : cachedFirst + 1
            if cachedFirst == Self.warmChunks { return }
        }
    }

    /// Asks for the top block of the directory `scan` describes, which the main thread reads when
    /// it checks the node (a chunk or more after this worker read it).
    private func hintDirectory(_ scan: NodeScan) {
        guard let hints, cold.load(ordering: .relaxed), NodeKind(rawValue: scan.mode & Node.modeTypeMask) == .directory,
            scan.flags & Node.inlineDataFlag == 0
        else { return }
        let top = scan.lowPointers.1
        guard !top.isNull, (try? checkPointer(top, as: .dirList, blockCount: template.blockCount)) != nil else { return }
        // Most often cached already, by the hints of the chunks (a probe, then a hint if not).
        var range = [(start: top.address.index, count: max(top.address.blockCount, CheckBlockReader.readAheadBlocks))]
        hints.willNeed(&range)
    }

    /// Reads and verifies the nodes of `chunk` into `filled`.
    private func fill(_ filled: inout Chunk, chunk: Int, state: inout WorkerState) {
        let range = chunk * Self.chunkSize..<min(pointers.count, (chunk + 1) * Self.chunkSize)
        // Drop the views of the chunk before first, so that the arena is not shared (and copied).
        filled.entries.removeAll(keepingCapacity: true)
        state.plan.removeAll(keepingCapacity: true)
        for position in range where wanted[position] {
            let address = pointers[position].address
            state.plan.append((position, address.index, address.blockCount))
        }
        state.plan.sort { $0.start < $1.start || ($0.start == $1.start && $0.position < $1.position) }
        // Runs: a node block starts a new run when it lies more than `bridgedGap` blocks past the
        // run or would make it too long; one that overlaps the run (a block named twice) is read alone.
        state.arenaOffsets.removeAll(keepingCapacity: true)
        state.runs.removeAll(keepingCapacity: true)
        var arenaBlocks = 0
        for (index, entry) in state.plan.enumerated() {
            let end = entry.start + entry.count
            if let run = state.runs.last, entry.start < run.end {
                state.arenaOffsets.append(-1)
                continue
            }
            if let run = state.runs.last, entry.start - run.end <= Self.bridgedGap, end - run.start <= Self.maximumRunBlocks {
                arenaBlocks += Int(entry.start - run.end)
                state.runs[state.runs.count - 1].end = end
                state.runs[state.runs.count - 1].last = index
            } else {
                state.runs.append((start: entry.start, end: end, first: index, last: index, arenaBlock: arenaBlocks))
            }
            state.arenaOffsets.append(arenaBlocks * RedoxFS.blockSize)
            arenaBlocks += Int(entry.count)
        }
        // Room to start the runs at an aligned address (`readRuns`), for reads that bypass the cache.
        let arenaBytes = arenaBlocks * RedoxFS.blockSize + FileDevice.directReadAlignment
        if filled.arena.count < arenaBytes {
            // Not zero-filled: every byte is written by a read before it is used.
            let capacity = arenaBytes + arenaBytes / 4
            filled.arena = [UInt8](unsafeUninitializedCapacity: capacity) { _, initialized in initialized = capacity }
        }
        readRuns(into: &filled.arena, state: &state)
        // Hand the outcomes over in tree order.
        filled.entries.append(contentsOf: repeatElement(nil, count: range.count))
        for (index, entry) in state.plan.enumerated() {
            var outcome: Outcome
            let offset = state.arenaOffsets[index]
            if offset >= 0 {
                if let error = state.errors[index] {
                    outcome = .failure(error)
                } else if let view = NodeView(block: filled.arena, offset: offset) {
                    outcome = .success(view)
                } else {
                    continue
                }
            } else {
                // Read alone, exactly as the main thread would.
                do throws(FormatError) {
                    guard let view = NodeView(block: try state.reader.read(pointers[entry.position], as: .node)) else { continue }
                    outcome = .success(view)
                } catch {
                    outcome = .failure(error)
                }
            }
            let scan = (try? outcome.get()).map(NodeScan.init)
            if let scan { hintDirectory(scan) }
            filled.entries[entry.position - range.lowerBound] = Prefetched(outcome: outcome, scan: scan)
        }
    }

    /// Reads the runs of `state` into `arena` and verifies each node block there (its outcome in
    /// `state.errors`); the blocks of a run that fails to read get the offset -1 (read alone).
    /// The runs start at the first address of the arena aligned for a direct read (the offsets
    /// in `state.arenaOffsets` move by as much), so that runs not in the page cache are read
    /// without filling it (`FileDevice.prefersDirectReads`, set by `CheckBlockReader`).
    private func readRuns(into arena: inout [UInt8], state: inout WorkerState) {
        let blockSize = RedoxFS.blockSize
        state.errors.removeAll(keepingCapacity: true)
        state.errors.append(contentsOf: repeatElement(nil, count: state.plan.count))
        let cipher = state.reader.cipher
        let batched = state.reader.usesVectorHash
        arena.withUnsafeMutableBytes { raw in
            let alignment = FileDevice.directReadAlignment
            let pad = (alignment - Int(bitPattern: raw.baseAddress!) % alignment) % alignment
            for index in state.arenaOffsets.indices where state.arenaOffsets[index] >= 0 {
                state.arenaOffsets[index] += pad
            }
            for run in state.runs {
                let arenaStart = pad + run.arenaBlock * blockSize
                let bytes = UnsafeMutableRawBufferPointer(
                    rebasing: raw[arenaStart..<arenaStart + Int(run.end - run.start) * blockSize])
                var readable = true
                do throws(FormatError) {
                    try state.reader.readStored(at: run.start, into: bytes)
                } catch {
                    readable = false
                }
                state.batch.removeAll(keepingCapacity: true)
                state.batchIndices.removeAll(keepingCapacity: true)
                for index in run.first...run.last where state.arenaOffsets[index] >= 0 {
                    guard readable else {
                        state.arenaOffsets[index] = -1
                        continue
                    }
                    let block = UnsafeMutableBufferPointer(
                        start: (raw.baseAddress! + state.arenaOffsets[index]).assumingMemoryBound(to: UInt8.self),
                        count: Int(state.plan[index].count) * blockSize)
                    let pointer = pointers[state.plan[index].position]
                    if batched, block.count == blockSize {
                        // `verifyBlock` in two steps, the hashes of the run's blocks at once.
                        decryptBlock(block, of: pointer, cipher: cipher)
                        state.batch.append(UnsafePointer(block.baseAddress))
                        state.batchIndices.append(index)
                        continue
                    }
                    do throws(FormatError) {
                        try verifyBlock(block, of: pointer, as: .node, cipher: cipher)
                    } catch {
                        state.errors[index] = error
                    }
                }
                guard !state.batch.isEmpty else { continue }
                BatchSeaHash.hash(state.batch, length: blockSize, into: &state.hashes)
                for (number, index) in state.batchIndices.enumerated() {
                    do throws(FormatError) {
                        try verifyHash(state.hashes[number], of: pointers[state.plan[index].position], as: .node)
                    } catch {
                        state.errors[index] = error
                    }
                }
            }
        }
    }

    /// The outcome of reading `pointers[position]`, or nil when it was not read ahead. Positions
    /// are taken in increasing order; a chunk is released when the next one is first asked for.
    func outcome(at position: Int) -> Prefetched? {
        guard position >= 0, position < pointers.count else { return nil }
        let chunk = position / Self.chunkSize
        while current < chunk {
            if current >= 0 { room.signal() }  // its slot is reused by the worker that takes a later chunk
            current += 1
            ready[current].wait()
        }
        guard chunk == current else { return nil }  // an earlier chunk, already released
        return ring[chunk % Self.aheadChunks].entries[position - chunk * Self.chunkSize]
    }

    /// Stops the workers and waits for them (call before dropping the prefetcher).
    func finish() {
        stopping.store(true, ordering: .relaxed)
        for _ in 0..<workerCount { room.signal() }
        hintRoom.signal()
        for thread in workerThreads { thread.join() }
        hinter?.join()
    }
}
