import RedoxFS

/// Checks the content of a file, symlink or socket node as the shared walk (`ReachableBlocks`)
/// reaches it: every indirect list and record (spec §8.6, §9), stale ones beyond the end of file
/// included since they still count in `blocks`.
struct ContentWalker: BlockVisitor {
    var context: CheckContext
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

    /// Whether the first `NodeScan.lowPointerCount` level pointers are direct records (the first
    /// tier of the level area).
    private static let firstTierHoldsLowPointers = RecordPath.tiers.first.map {
        $0.first == 0 && $0.depth == 0 && $0.count >= NodeScan.lowPointerCount
    } ?? false

    /// Walks `node` (non-inline, record level ≤ 5); returns the blocks it owns.
    static func walk(_ id: UInt32, node: ScannedNode, summary: inout NodeSummary, context: inout CheckContext) -> UInt64 {
        let limit = RecordPath.recordLimit
        if node.recordCount > limit {
            context.report(
                .fileTooLarge,
                "node \(id) has size \(node.size): \(node.recordCount) records, more than the \(limit) the format can address",
                structure: .node, node: id, fix: .truncateFile(node: id, size: limit * node.recordSize))
        }
        var walker = ContentWalker(
            context: consume context, id: id, recordLevel: UInt8(node.recordLevel), recordSize: node.recordSize,
            recordCount: node.recordCount)
        if let scan = node.scan, scan.onlyLowPointers, !scan.hasInlineData, Self.firstTierHoldsLowPointers {
            // What the shared walk visits for such a node, without testing the zero pointers:
            // the non-null pointers among the first four, records 0…3 of the first tier.
            for index in 0..<NodeScan.lowPointerCount {
                let pointer = node.levelPointer(index)
                if !pointer.isNull { _ = walker.visit(pointer, as: .record(node: id, index: UInt64(index))) }
            }
        } else {
            ReachableBlocks.walkContent(of: node, id: id, visitor: &walker)
        }
        let (staleRecords, staleBlocks, firstBadRecord, owned) =
            (walker.staleRecords, walker.staleBlocks, walker.firstBadRecord, walker.owned)
        // The walker goes before the context changes, so that its arrays are not copied.
        context = (consume walker).context
        if staleRecords > 0 {
            context.report(
                .staleRecord,
                "node \(id) keeps \(staleRecords) record pointer(s) beyond its end of file (size \(node.size)), \(staleBlocks) block(s) still counted in its blocks",
                structure: .record, node: id, fix: .clearStaleRecords(node: id))
        }
        summary.firstBadRecord = firstBadRecord
        return owned
    }

    mutating func visit(_ pointer: BlockPointer, as role: BlockRole) -> [UInt8]? {
        switch role {
        case .blockList(_, let depth, let first): return list(pointer, depth: depth, base: first)
        case .record(_, let index): record(pointer, index: index)
        default: break
        }
        return nil
    }

    private mutating func noteBad(_ record: UInt64) {
        guard record < recordCount else { return }
        firstBadRecord = min(firstBadRecord ?? record, record)
    }

    /// The fix for damage at record `record`: cut the file there, or drop stale pointers.
    private func fix(at record: UInt64) -> RepairAction {
        record < recordCount ? .truncateFile(node: id, size: record * recordSize) : .clearStaleRecords(node: id)
    }

    /// An indirect list `depth` levels above the records, covering records from `base`.
    private mutating func list(_ pointer: BlockPointer, depth: Int, base: UInt64) -> [UInt8]? {
        let stale = base >= recordCount
        let (id, fix) = (self.id, fix(at: base))
        let read = context.read(
            pointer, as: .blockList, owner: .node(id),
            where: "indirect list (depth \(depth)) of node \(id), records from \(base)",
            fix: fix, severity: stale ? .warning : nil)
        if read.isClaimed { owned += pointer.address.blockCount }
        guard case .bytes(let bytes) = read else {
            noteBad(base)
            return nil
        }
        return bytes
    }

    /// Record `index`: level rules, then (with `--scrub`) read, verify and decompress.
    private mutating func record(_ pointer: BlockPointer, index: UInt64) {
        let stale = index >= recordCount
        let address = pointer.address
        let id = self.id
        let fix = fix(at: index)
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
                    block: address.index, structure: .record, node: id, fix: fix, severity: severity)
                noteBad(index)
            }
        } else if level > recordLevel {
            context.report(
                .pointerBadLevel, "\(place) at block \(address.index) has level \(level), above the node's record level \(recordLevel)",
                block: address.index, structure: .record, node: id, fix: fix, severity: severity)
            noteBad(index)
        }
        // Data is read, decrypted and decoded only by `--scrub`: without it the record is checked
        // through its pointer alone (range, level, ownership, allocation, sharing).
        let read = context.read(
            pointer, as: .record, owner: .node(id), where: place, fix: fix, severity: severity,
            verify: context.options.scrub)
        if read.isClaimed {
            owned += address.blockCount
            context.statistics.recordBlocks += address.blockCount
        }
        guard case .bytes(let stored) = read else {
            if case .unread = read { return }
            noteBad(index)
            return
        }
        context.statistics.recordBytesVerified += UInt64(stored.count)
        guard logical != 0 else { return }
        guard let payload = CompressedRecord.payload(of: stored) else {
            context.report(
                .recordBadCompression,
                "\(place) at block \(address.index): its compressed length exceeds the \(stored.count)-byte block",
                block: address.index, structure: .record, node: id, fix: fix, severity: severity)
            noteBad(index)
            return
        }
        do {
            try context.decompress(stored, payload: payload, capacity: RedoxFS.blockSize << Int(logical))
        } catch {
            context.report(
                .recordBadCompression, "\(place) at block \(address.index) does not decode (\(error))",
                block: address.index, structure: .record, node: id, fix: fix, severity: severity)
            noteBad(index)
        }
    }
}
