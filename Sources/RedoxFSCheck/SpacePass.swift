import RedoxFS

/// Pass 5: space (spec §15.1 items 10, 12–16). Reads the allocation log chain, replays it as the
/// reference does at open (§11.3) checking every entry, then sweeps the blocks in use against the
/// free space: blocks used twice, blocks in use but free, and allocated blocks nothing uses.
struct SpacePass {
    static func run(_ context: inout CheckContext) throws(CheckError) {
        let chain = readChain(&context)
        try context.checkCancelled()
        if let chain {
            replay(chain, context: &context)
            context.logReplayed = true
        }
        try context.checkCancelled()
        context.claims.sortByStart()
        sweep(&context)
    }

    /// The allocation log blocks, oldest first; nil when the chain is broken.
    private static func readChain(_ context: inout CheckContext) -> [(block: UInt64, bytes: [UInt8])]? {
        let newest = context.header.alloc
        guard !newest.isNull else { return nil }
        var reader = LogReader(context: consume context)
        ReachableBlocks.walkAllocationLog(newest, visitor: &reader)
        context = reader.context
        return reader.broken ? nil : reader.chain.reversed()
    }

    /// Reads the allocation log chain as the shared walk reaches it.
    private struct LogReader: BlockVisitor {
        var context: CheckContext
        var chain: [(block: UInt64, bytes: [UInt8])] = []
        var broken = false

        init(context: consuming CheckContext) { self.context = context }

        mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
            guard case .allocList(let position) = role else { return nil }
            let read = context.read(
                pointer, as: .allocList, owner: .allocationLog, where: "allocation log block \(position + 1) from the newest",
                fix: .rebuildAllocator)
            switch read {
            case .bytes(let bytes):
                chain.append((pointer.address.index, bytes))
                let more: UInt64 = AllocList(block: bytes).previous.isNull ? 0 : 1
                context.progress(.space, done: UInt64(chain.count), total: UInt64(chain.count) + more)
                return bytes
            case .shared:
                context.report(
                    .allocChainCycle,
                    "allocation log block \(pointer.address.index) is already in use: the chain loops or shares a block",
                    block: pointer.address.index, structure: .allocList, fix: .rebuildAllocator)
            case .failed, .invalid, .unread, .node:
                break
            }
            broken = true
            return nil
        }
    }

    /// Replays the log into `context.freeSpace`, checking every entry (items 13 and 16).
    private static func replay(_ chain: [(block: UInt64, bytes: [UInt8])], context: inout CheckContext) {
        let blocks = context.blockCount
        let ring = RedoxFS.headerRing
        for (block, bytes) in chain {
            var sawEmpty = false
            var gapReported = false
            for (slot, stored) in AllocList.storedEntries(of: bytes).enumerated() {
                let index = stored.index
                let count = stored.count
                if count == 0 {
                    sawEmpty = true
                    continue
                }
                if sawEmpty, !gapReported {
                    gapReported = true
                    context.report(
                        .allocEntriesNotPrefix, "allocation log block \(block): entries in use follow an empty one",
                        block: block, structure: .allocList, fix: .rebuildAllocator)
                }
                let magnitude = count.magnitude
                let entry = "allocation log block \(block), entry \(slot) (\(index), \(count))"
                var lower = index
                var upper = index.addingReportingOverflow(magnitude).overflow ? UInt64.max : index + magnitude
                if upper > blocks {
                    context.report(
                        .allocEntryOutOfRange, "\(entry) reaches past the \(blocks) blocks of the file system",
                        block: block, structure: .allocList, fix: .rebuildAllocator)
                    upper = blocks
                }
                if count > 0, lower < ring {
                    context.report(
                        .allocEntryInHeaderRing, "\(entry) frees blocks of the header ring", block: block,
                        structure: .allocList, fix: .rebuildAllocator)
                }
                lower = max(lower, count > 0 ? ring : 0)
                guard lower < upper else { continue }
                if count > 0 {
                    let already = context.freeSpace.insert(lower..<upper)
                    if !already.isEmpty {
                        context.report(
                            .allocDoubleFree, "\(entry) frees \(describe(already)), already free", block: block,
                            structure: .allocList, fix: .rebuildAllocator)
                    }
                } else {
                    let missing = context.freeSpace.remove(lower..<upper)
                    if !missing.isEmpty {
                        context.report(
                            .allocAllocatesUsed,
                            "\(entry) allocates \(describe(missing)), not free at that point (the reference refuses to open such a log)",
                            block: block, structure: .allocList, fix: .rebuildAllocator)
                    }
                }
            }
        }
    }

    /// Blocks used twice, in use but free, and leaked (items 10, 14, 15).
    private static func sweep(_ context: inout CheckContext) {
        let blocks = context.blockCount
        let claims = context.claims.claims
        var accounted = ExtentSet()
        accounted.insert(0..<min(blocks, RedoxFS.headerRing + 1))
        var widest: Int?
        for (number, claim) in claims.enumerated() {
            if let previous = widest, claims[previous].end > claim.start {
                let other = claims[previous]
                let overlap = claim.start..<min(claim.end, other.end)
                let fix: RepairAction? = claim.owner.nodeID.map { .duplicateBlocks(node: $0) }
                context.report(
                    .blockUsedTwice,
                    "\(describe([overlap])) used by \(other.structure.name) of \(context.describe(other.owner)) and by \(claim.structure.name) of \(context.describe(claim.owner))",
                    block: overlap.lowerBound, blockCount: UInt64(overlap.count), structure: claim.structure,
                    node: claim.owner.nodeID, fix: fix)
            }
            if let previous = widest, claims[previous].end >= claim.end {
                // The widest claim so far still reaches furthest.
            } else {
                widest = number
            }
            guard claim.start < blocks else { continue }
            let range = claim.start..<min(claim.end, blocks)
            if context.logReplayed, context.freeSpace.overlaps(range) {
                let free = context.freeSpace.intersection(range)
                if !free.isEmpty {
                    context.report(
                        .blockUsedButFree,
                        "\(describe(free)) of the \(claim.structure.name) of \(context.describe(claim.owner)) \(free.count == 1 && free[0].count == 1 ? "is" : "are") free in the allocation log",
                        block: free[0].lowerBound, blockCount: free.reduce(0) { $0 + UInt64($1.count) },
                        structure: claim.structure, node: claim.owner.nodeID, fix: .rebuildAllocator)
                }
            }
            accounted.insert(range)
        }
        context.statistics.reachableBlocks = accounted.count - min(blocks, RedoxFS.headerRing + 1)
        guard context.logReplayed else { return }
        context.statistics.freeBlocks = context.freeSpace.count
        for extent in context.freeSpace.ranges { accounted.insert(extent) }
        var cursor: UInt64 = 0
        var leaked: UInt64 = 0
        for extent in accounted.ranges + [blocks..<blocks] {
            if extent.lowerBound > cursor {
                let gap = cursor..<min(extent.lowerBound, blocks)
                if !gap.isEmpty {
                    leaked += UInt64(gap.count)
                    context.report(
                        .blockLeaked, "\(describe([gap])) allocated but used by nothing", block: gap.lowerBound,
                        blockCount: UInt64(gap.count), fix: .rebuildAllocator)
                }
            }
            cursor = max(cursor, extent.upperBound)
        }
        context.statistics.leakedBlocks = leaked
    }

    /// "block 5", "blocks 5…9", "blocks 5…9 and 12".
    static func describe(_ ranges: [Range<UInt64>]) -> String {
        let parts = ranges.prefix(4).map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)…\($0.upperBound - 1)" }
        let more = ranges.count > 4 ? " and \(ranges.count - 4) more extents" : ""
        let plural = ranges.count > 1 || (ranges.first?.count ?? 0) > 1
        return (plural ? "blocks " : "block ") + parts.joined(separator: ", ") + more
    }
}
