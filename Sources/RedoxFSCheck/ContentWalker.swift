import RedoxFS

/// Walks the level area of a file, symlink or socket node: every indirect list and record
/// (spec §8.6, §9), stale ones beyond the end of file included since they still count in `blocks`.
struct ContentWalker {
    /// The level area's tiers: first slot, number of slots, depth of indirect lists (§8.6).
    static let tiers: [(first: Int, count: Int, depth: Int)] = [
        (0, 128, 0), (128, 64, 1), (192, 32, 2), (224, 16, 3), (240, 8, 4),
    ]
    /// One past the highest record index the level area can address.
    static let recordLimit: UInt64 = tiers.reduce(0) { $0 + (UInt64($1.count) << (8 * UInt64($1.depth))) }

    let id: UInt32
    let recordLevel: UInt8
    let recordSize: UInt64
    /// Records at or past this index are stale (§9.6).
    let recordCount: UInt64
    /// Blocks owned so far (records at their stored level, indirect lists).
    var owned: UInt64 = 0
    var staleRecords: UInt64 = 0
    var staleBlocks: UInt64 = 0
    var firstBadRecord: UInt64?

    /// Walks `node` (non-inline, record level ≤ 5); returns the blocks it owns.
    static func walk(_ id: UInt32, node: Node, summary: inout NodeSummary, context: inout CheckContext) -> UInt64 {
        let recordSize = UInt64(RedoxFS.blockSize) << UInt64(node.recordLevel)
        let recordCount = node.size / recordSize + (node.size % recordSize == 0 ? 0 : 1)
        var walker = ContentWalker(
            id: id, recordLevel: UInt8(node.recordLevel), recordSize: recordSize, recordCount: recordCount)
        if recordCount > recordLimit {
            context.report(
                .fileTooLarge,
                "node \(id) has size \(node.size): \(recordCount) records, more than the \(recordLimit) the format can address",
                structure: .node, node: id, fix: .truncateFile(node: id, size: recordLimit * recordSize))
        }
        var tierBase: UInt64 = 0
        for (number, tier) in tiers.enumerated() {
            let span = UInt64(1) << (8 * UInt64(tier.depth))
            for k in 0..<tier.count where !ByteLoading.isNullPointer(node.data, (tier.first + k) * 16) {
                let pointer = node.levelPointer(tier.first + k)
                if pointer.isNull { continue }
                let base = tierBase + UInt64(k) * span
                if tier.depth == 0 {
                    walker.record(pointer, index: base, context: &context)
                } else {
                    walker.list(pointer, depth: tier.depth, base: base, place: "level\(number)[\(k)]", context: &context)
                }
            }
            tierBase += UInt64(tier.count) * span
        }
        if walker.staleRecords > 0 {
            context.report(
                .staleRecord,
                "node \(id) keeps \(walker.staleRecords) record pointer(s) beyond its end of file (size \(node.size)), \(walker.staleBlocks) block(s) still counted in its blocks",
                structure: .record, node: id, fix: .clearStaleRecords(node: id))
        }
        summary.firstBadRecord = walker.firstBadRecord
        return walker.owned
    }

    private mutating func noteBad(_ record: UInt64) {
        guard record < recordCount else { return }
        firstBadRecord = min(firstBadRecord ?? record, record)
    }

    /// The fix for damage at record `record`: cut the file there, or drop stale pointers.
    private func fix(at record: UInt64) -> RepairAction {
        record < recordCount ? .truncateFile(node: id, size: record * recordSize) : .clearStaleRecords(node: id)
    }

    /// An indirect list of `depth` levels covering records from `base`.
    private mutating func list(
        _ pointer: BlockPointer, depth: Int, base: UInt64, place: String, context: inout CheckContext
    ) {
        let stale = base >= recordCount
        let read = context.read(
            pointer, as: .blockList, owner: .node(id), where: "\(place) of node \(id), records from \(base)",
            fix: fix(at: base), severity: stale ? .warning : nil)
        if read.isClaimed { owned += pointer.address.blockCount }
        guard case .bytes(let bytes) = read else {
            noteBad(base)
            return
        }
        let list = BlockList(block: bytes)
        let span = UInt64(1) << (8 * UInt64(depth - 1))
        for (i, child) in list.pointers.enumerated() where !child.isNull {
            let index = base + UInt64(i) * span
            if depth == 1 {
                record(child, index: index, context: &context)
            } else {
                self.list(child, depth: depth - 1, base: index, place: "\(place)[\(i)]", context: &context)
            }
        }
    }

    /// Record `index`: level rules, then read, verify and decompress.
    private mutating func record(_ pointer: BlockPointer, index: UInt64, context: inout CheckContext) {
        let stale = index >= recordCount
        let address = pointer.address
        var place: String { "record \(index) of node \(id)" }
        let severity: Severity? = stale ? .warning : nil
        context.statistics.records += 1
        if stale {
            staleRecords += 1
            staleBlocks += address.blockCount
        }
        let level = address.level, logical = address.decompressionLevel
        if logical != 0 {
            context.statistics.compressedRecords += 1
            if logical > recordLevel || level >= logical || level > 4 {
                context.report(
                    .pointerBadCompression,
                    "\(place) at block \(address.index): stored level \(level) with decompressed level \(logical) breaks the rules (1 ≤ D ≤ \(recordLevel), C < D, C ≤ 4)",
                    block: address.index, structure: .record, node: id, fix: fix(at: index), severity: severity)
                noteBad(index)
            }
        } else if level > recordLevel {
            context.report(
                .pointerBadLevel, "\(place) at block \(address.index) has level \(level), above the node's record level \(recordLevel)",
                block: address.index, structure: .record, node: id, fix: fix(at: index), severity: severity)
            noteBad(index)
        }
        let read = context.read(pointer, as: .record, owner: .node(id), where: place, fix: fix(at: index), severity: severity)
        if read.isClaimed { owned += address.blockCount }
        guard case .bytes(let stored) = read else {
            noteBad(index)
            return
        }
        guard logical != 0 else { return }
        let length = Int(ByteLoading.le16(stored, 0))
        guard 2 + length <= stored.count else {
            context.report(
                .recordBadCompression,
                "\(place) at block \(address.index): compressed length \(length) exceeds the \(stored.count)-byte block",
                block: address.index, structure: .record, node: id, fix: fix(at: index), severity: severity)
            noteBad(index)
            return
        }
        do {
            try context.decompress(stored, length: length, capacity: RedoxFS.blockSize << Int(logical))
        } catch {
            context.report(
                .recordBadCompression, "\(place) at block \(address.index) does not decode (\(error))",
                block: address.index, structure: .record, node: id, fix: fix(at: index), severity: severity)
            noteBad(index)
        }
    }
}
