import RedoxFS

/// The state a check's passes share: the device and header in use, every claim on blocks, what
/// was learnt about nodes and directories, and the problems found so far.
struct CheckContext {
    let options: CheckOptions
    let observer: CheckObserver
    var reader: CheckBlockReader
    let codec = SystemLZ4()
    /// The header in use (the newest valid one, as the reference opener picks it).
    let header: Header
    let headerSlot: UInt64
    /// The data keys of an encrypted file system (for a repair).
    var keys: DataKeys?
    var startBlock: UInt64 { reader.startBlock }
    /// Blocks in the file system according to the header.
    var blockCount: UInt64 { header.blockCount }

    private(set) var problems: [Problem] = []
    private(set) var problemCounts: [ProblemCode: Int] = [:]
    /// The fix of every problem reported, kept or not (a repair must cover them all).
    private(set) var fixes: [RepairAction] = []
    private var fixSet: Set<RepairAction> = []
    private(set) var errorCount = 0
    private(set) var warningCount = 0
    var claims: BlockClaims
    var statistics = CheckStatistics()
    var ring: [HeaderSlotReport] = []

    // Pass 2.
    /// Node ids in tree order.
    var nodeOrder: [UInt32] = []
    var nodes = NodeTable<NodeSummary>()
    /// Ids below this are kept in arrays by the node tables (set by pass 2 from the tree's ids).
    var denseNodeIDs = 0
    var directories: [UInt32: DirectoryImage] = [:]

    // Pass 3.
    /// First accepted name of each node reached through directories: (directory, name).
    var parents = NodeTable<(directory: UInt32, name: [UInt8])>()
    /// Accepted directory entries naming each node.
    var references = NodeTable<UInt32>()
    /// Nodes reached from the root.
    var reachedFromRoot = NodeSet()
    /// Tops of the subtrees not reachable from the root.
    var orphanRoots: [UInt32] = []

    // Pass 4.
    var releasedNodes = NodeSet()

    // Pass 5.
    var freeSpace = ExtentSet()
    /// Whether the allocation log could be replayed completely.
    var logReplayed = false

    private var lastProgress: UInt64 = 0
    /// Output buffer for decoding compressed records (reused: records are only verified).
    private var scratch = [UInt8](repeating: 0, count: RedoxFS.blockSize << 5)

    init(options: CheckOptions, observer: CheckObserver, reader: CheckBlockReader, header: Header, headerSlot: UInt64) {
        self.options = options
        self.observer = observer
        self.reader = reader
        self.header = header
        self.headerSlot = headerSlot
        claims = BlockClaims(limit: reader.readableBlocks)
        statistics.blocks = header.blockCount
    }

    /// Sizes the node tables for the tree's `ids`: node ids are dense in a tree the engine wrote,
    /// so the tables index arrays by id, within a bound proportional to the nodes (a hostile id
    /// far beyond goes to the tables' dictionaries).
    mutating func prepareNodeTables(ids: [UInt32]) {
        let largest = Int(ids.max() ?? 0)
        denseNodeIDs = min(largest + 1, 4 * ids.count + 1024)
        nodes = NodeTable(denseIDs: denseNodeIDs)
        parents = NodeTable(denseIDs: denseNodeIDs)
        references = NodeTable(denseIDs: denseNodeIDs)
        releasedNodes = NodeSet(denseIDs: denseNodeIDs)
    }

    // MARK: Problems

    mutating func report(_ problem: Problem) {
        let count = problemCounts[problem.code, default: 0] + 1
        problemCounts[problem.code] = count
        if problem.severity == .error { errorCount += 1 } else { warningCount += 1 }
        if count <= options.problemLimitPerCode { problems.append(problem) }
        if let fix = problem.fix, fixSet.insert(fix).inserted { fixes.append(fix) }
    }

    mutating func report(
        _ code: ProblemCode, _ message: String, block: UInt64? = nil, blockCount: UInt64? = nil,
        structure: Structure? = nil, node: UInt32? = nil, slot: UInt64? = nil, fix: RepairAction? = nil,
        severity: Severity? = nil
    ) {
        report(Problem(
            code, message, block: block, blockCount: blockCount, structure: structure, node: node, slot: slot, fix: fix,
            severity: severity))
    }

    /// Fills in the path of every problem that names a node.
    mutating func resolvePaths() {
        for index in problems.indices {
            if let node = problems[index].node { problems[index].path = path(of: node) }
        }
    }

    /// Decodes the LZ4 data at `payload` of the stored record `stored` into the scratch buffer,
    /// which holds at most `capacity` bytes; throws when it does not decode or fit.
    mutating func decompress(_ stored: [UInt8], payload: Range<Int>, capacity: Int) throws(LZ4Error) {
        let codec = self.codec
        var failure: LZ4Error?
        stored.withUnsafeBufferPointer { input in
            scratch.withUnsafeMutableBufferPointer { output in
                do throws(LZ4Error) {
                    _ = try codec.decompress(
                        UnsafeBufferPointer(rebasing: input[payload]),
                        into: UnsafeMutableBufferPointer(rebasing: output[0..<min(capacity, output.count)]))
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
    }

    // MARK: Progress and cancellation

    func checkCancelled() throws(CheckError) {
        if observer.isCancelled() { throw .cancelled }
    }

    /// Reports progress at most every 1/200 of the total (and at the end).
    mutating func progress(_ pass: CheckPass, done: UInt64, total: UInt64) {
        let step = max(1, total / 200)
        guard done == total || done < lastProgress || done - lastProgress >= step else { return }
        lastProgress = done
        observer.progress(CheckProgress(pass: pass, done: done, total: total))
    }

    // MARK: Names

    /// The path of node `id` through its first accepted name; orphans read `<orphan node N>/…`.
    func path(of id: UInt32) -> String {
        if id == RedoxFS.rootNodeID { return "/" }
        var components: [String] = []
        var current = id
        var steps = 0
        while let parent = parents[current], steps < 4096 {
            components.append(displayName(parent.name))
            current = parent.directory
            steps += 1
            if current == RedoxFS.rootNodeID { return "/" + components.reversed().joined(separator: "/") }
        }
        let base = "<orphan node \(current)>"
        return components.isEmpty ? base : base + "/" + components.reversed().joined(separator: "/")
    }

    /// Words naming an owner: "node 42 (/a/b)", "the node tree", …
    func describe(_ owner: BlockOwner) -> String {
        switch owner {
        case .nodeTree: return "the node tree"
        case .node(let id): return "node \(id) (\(path(of: id)))"
        case .allocationLog: return "the allocation log"
        case .releaseList: return "the release list"
        }
    }
}
