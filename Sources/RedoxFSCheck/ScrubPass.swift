import RedoxFS

/// Pass 6 (`--scrub`): reads every block of the file system from the device, free ones included,
/// to find media errors; then names, for every bad block found by any pass, all the paths that own it.
struct ScrubPass {
    static let chunk = 256

    static func run(_ context: inout CheckContext) throws(CheckError) {
        let readable = context.reader.readableBlocks
        var block: UInt64 = 0
        while block < readable {
            try context.checkCancelled()
            let count = Int(min(UInt64(chunk), readable - block))
            do {
                _ = try context.reader.readRaw(at: block, count: count)
            } catch {
                // Find the bad blocks of the chunk one by one.
                for single in block..<block + UInt64(count) {
                    do {
                        _ = try context.reader.readRaw(at: single, count: 1)
                    } catch {
                        let owners = context.claims.owners(of: single)
                        let named = owners.isEmpty
                            ? "owned by nothing" : "owned by " + owners.map { context.describe($0.owner) }.joined(separator: " and ")
                        context.report(
                            .scrubReadError, "block \(single) cannot be read (\(error)); \(named)", block: single,
                            node: owners.first?.owner.nodeID)
                    }
                }
            }
            block += UInt64(count)
            context.progress(.scrub, done: block, total: readable)
        }
    }

    /// Every bad block the passes found, with all the paths that own it (hard links included).
    static func badBlocks(_ context: CheckContext) -> [BadBlock] {
        let codes: Set<ProblemCode> = [
            .checksumMismatch, .readError, .pointerPastDevice, .recordBadCompression, .scrubReadError,
        ]
        let bad = context.problems.filter { codes.contains($0.code) && $0.block != nil }
        guard !bad.isEmpty else { return [] }
        var wanted: Set<UInt32> = []
        for problem in bad {
            for claim in context.claims.owners(of: problem.block ?? 0) {
                if let id = claim.owner.nodeID { wanted.insert(id) }
            }
            if let id = problem.node { wanted.insert(id) }
        }
        var names: [UInt32: [String]] = [:]
        for (directory, image) in context.directories {
            for entry in image.entries where wanted.contains(entry.nodeID) {
                let base = context.path(of: directory)
                names[entry.nodeID, default: []].append((base == "/" ? "" : base) + "/" + displayName(entry.name))
            }
        }
        return bad.map { problem in
            let block = problem.block ?? 0
            var owners: [String] = []
            var ids = context.claims.owners(of: block).compactMap(\.owner.nodeID)
            if ids.isEmpty, let id = problem.node { ids = [id] }
            for id in Set(ids).sorted() {
                let paths = id == RedoxFS.rootNodeID ? ["/"] : (names[id]?.sorted() ?? [context.path(of: id)])
                owners.append(contentsOf: paths)
            }
            for claim in context.claims.owners(of: block) where claim.owner.nodeID == nil {
                owners.append("<\(context.describe(claim.owner))>")
            }
            return BadBlock(block: block, code: problem.code, structure: problem.structure, owners: owners)
        }
    }
}

/// A block found bad, and who owns it.
public struct BadBlock: Codable, Sendable, Equatable {
    public var block: UInt64
    public var code: ProblemCode
    public var structure: String?
    /// Every path whose node owns the block (all names of a hard-linked node), or `<the node tree>`
    /// and the like for blocks of shared structures.
    public var owners: [String]
}
