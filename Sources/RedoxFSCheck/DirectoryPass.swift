import Dispatch
import RedoxFS

/// Pass 3: directories (spec §15.1 items 29–34). For every directory read in pass 2: the marker,
/// the hash-tree invariants of §10.5 and the lookup of every name (§10.7), names, duplicates and
/// size; then the namespace from the root: entries naming nothing, directories reached twice or in
/// a cycle, and the orphans left over.
struct DirectoryPass {
    static func run(_ context: inout CheckContext) throws(CheckError) {
        let ids = context.directories.keys.sorted()
        let total = UInt64(ids.count)
        // Each directory's findings are worked out apart (on several threads when there are many),
        // then reported here in the order of the ids: the report is the same whatever the threads.
        let options = context.options
        let threads = ids.count < options.threadedDirectories ? 1 : max(1, options.structureThreads)
        let findings = structureFindings(ids, context.directories, threads: threads)
        for done in ids.indices {
            if done % 64 == 0 { try context.checkCancelled() }
            for problem in findings[done] { context.report(problem) }
            context.progress(.directories, done: UInt64(done + 1), total: total)
        }
        var namespace = Namespace(denseNodeIDs: context.denseNodeIDs)
        namespace.traverse(from: RedoxFS.rootNodeID, context: &context)
        context.reachedFromRoot = namespace.reached
        namespace.collectOrphans(context: &context)
    }

    // MARK: One directory's structure

    /// The problems `checkStructure` finds in each directory of `ids`, in the same order, worked
    /// out on `threads` threads.
    private static func structureFindings(
        _ ids: [UInt32], _ directories: [UInt32: DirectoryImage], threads: Int
    ) -> [[Problem]] {
        var findings = [[Problem]](repeating: [], count: ids.count)
        let shares = shares(of: ids.count, among: threads)
        findings.withUnsafeMutableBufferPointer { slots in
            let slots = UncheckedBuffer(slots)
            // Each thread writes only its own range of slots.
            DispatchQueue.concurrentPerform(iterations: shares.count) { thread in
                for index in shares[thread] {
                    guard let image = directories[ids[index]] else { continue }
                    var found = Findings()
                    checkStructure(ids[index], image, context: &found)
                    slots.buffer[index] = found.problems
                }
            }
        }
        return findings
    }

    /// `count` items split into at most `threads` consecutive, disjoint, non-empty ranges that
    /// cover `0..<count` (as even as can be: sizes differ by at most one).
    static func shares(of count: Int, among threads: Int) -> [Range<Int>] {
        let parts = max(1, min(threads, count))
        guard count > 0 else { return [] }
        let (size, extra) = count.quotientAndRemainder(dividingBy: parts)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(parts)
        var start = 0
        for part in 0..<parts {
            let end = start + size + (part < extra ? 1 : 0)
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// A buffer that threads write in disjoint ranges.
    private struct UncheckedBuffer: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<[Problem]>
        init(_ buffer: UnsafeMutableBufferPointer<[Problem]>) { self.buffer = buffer }
    }

    /// Problems found apart from the context, reported later in order (`CheckContext.report`'s form).
    private struct Findings {
        var problems: [Problem] = []

        mutating func report(
            _ code: ProblemCode, _ message: String, block: UInt64? = nil, structure: Structure? = nil, node: UInt32? = nil,
            fix: RepairAction? = nil
        ) {
            problems.append(Problem(code, message, block: block, structure: structure, node: node, fix: fix))
        }
    }

    private static func checkStructure(_ id: UInt32, _ image: DirectoryImage, context: inout Findings) {
        let rebuild = RepairAction.rebuildDirectory(node: id)
        if image.badMarker {
            context.report(
                .directoryBadMarker, "directory \(id): level0[0] is neither zero nor a hash-tree marker; its entries cannot be found",
                structure: .node, node: id, fix: rebuild)
        }
        if image.strayPointer {
            context.report(
                .directoryBadMarker, "directory \(id) is marked empty but level0[1] is not null", structure: .node, node: id,
                fix: rebuild)
        }
        if image.depth != nil, image.root == nil {
            context.report(
                .directoryBadMarker, "directory \(id) has a hash-tree marker but no root block", structure: .node, node: id,
                fix: rebuild)
        }
        let expectedSize = UInt64(RedoxFS.blockSize) * image.linkedBlocks
        if image.size != expectedSize {
            context.report(
                .directorySize, "directory \(id) has size \(image.size) but \(image.linkedBlocks) block(s) (\(expectedSize) bytes)",
                structure: .node, node: id, fix: .setDirectorySize(node: id))
        }

        // Leaves and their largest name hash.
        var leafMaximum: [UInt32] = []
        var leafOfEntry = [Int](repeating: -1, count: image.entries.count)
        var hashes = [UInt32](repeating: 0, count: image.entries.count)
        for (number, leaf) in image.leaves.enumerated() {
            var maximum: UInt32 = 0
            for index in leaf.entries {
                hashes[index] = directoryNameHash(image.entries[index].name)
                maximum = max(maximum, hashes[index])
                leafOfEntry[index] = number
            }
            leafMaximum.append(maximum)
            if let why = leaf.malformation {
                context.report(
                    .dirListMalformed, "directory block \(leaf.block) of directory \(id) does not decode: \(why.explanation)",
                    block: leaf.block, structure: .dirList, node: id, fix: rebuild)
            } else if leaf.entries.isEmpty {
                context.report(
                    .dirListEmpty, "directory block \(leaf.block) of directory \(id) is empty but still linked",
                    block: leaf.block, structure: .dirList, node: id, fix: rebuild)
            }
        }
        checkIndexBlocks(id, image, leafMaximum: leafMaximum, context: &context)

        // Names: validity, duplicates, and whether lookup finds each one in its leaf.
        let repeated = repeatedNames(image.entries, hashes: hashes)
        for (index, entry) in image.entries.enumerated() {
            var shown: String { displayName(entry.name) }
            if !DirectoryEntry.isValidName(entry.name) || !isUTF8(entry.name) {
                context.report(
                    .nameInvalid, "directory \(id): entry '\(shown)' (node \(entry.nodeID)) has an invalid name (not UTF-8, or NUL, '/' or ':')",
                    structure: .dirList, node: id, fix: rebuild)
            }
            if repeated[index] {
                context.report(
                    .duplicateName, "directory \(id): the name '\(shown)' appears more than once", structure: .dirList, node: id,
                    fix: rebuild)
            } else if let root = image.root, !finds(root, hash: hashes[index], leaf: leafOfEntry[index], in: image) {
                context.report(
                    .nameNotFindable,
                    "directory \(id): lookup of '\(shown)' (hash \(hex32(hashes[index]))) misses its entry: the hash index is out of order",
                    structure: .hTreeNode, node: id, fix: rebuild)
            }
        }
    }

    /// For each entry, whether an earlier entry has the same name. Names are compared only
    /// within runs of equal name hashes (`hashes`), so unique names cost no set insertion.
    private static func repeatedNames(_ entries: [DirectoryEntry], hashes: [UInt32]) -> [Bool] {
        var repeated = [Bool](repeating: false, count: entries.count)
        guard entries.count > 1 else { return repeated }
        // Hash above index in one word: sorting the words orders by hash, ties in directory order.
        var packed = [UInt64](unsafeUninitializedCapacity: entries.count) { buffer, initialized in
            for index in entries.indices { buffer[index] = UInt64(hashes[index]) << 32 | UInt64(UInt32(truncatingIfNeeded: index)) }
            initialized = entries.count
        }
        packed.sort()
        let order = packed.map { Int(truncatingIfNeeded: $0 & 0xFFFF_FFFF) }
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, hashes[order[end]] == hashes[order[start]] { end += 1 }
            if end - start > 1 {
                // Equal hashes: the entries of the run, in directory order, against the names seen.
                var seen: Set<[UInt8]> = []
                for position in start..<end where !seen.insert(entries[order[position]].name).inserted {
                    repeated[order[position]] = true
                }
            }
            start = end
        }
        return repeated
    }

    /// Whether `name` is valid UTF-8 (ASCII names without building a string).
    private static func isUTF8(_ name: [UInt8]) -> Bool {
        if name.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: name, as: UTF8.self) != nil
    }

    /// Invariants of §10.5 on every index block: used slots a prefix, empty slots well formed,
    /// padding zero, not empty, sorted, each slot's hash the maximum below it.
    private static func checkIndexBlocks(
        _ id: UInt32, _ image: DirectoryImage, leafMaximum: [UInt32], context: inout Findings
    ) {
        let rebuild = RepairAction.rebuildDirectory(node: id)
        for index in image.indexBlocks {
            let block = index.block
            let at = "index block \(block) of directory \(id)"
            if index.slotsNotPrefix {
                context.report(
                    .htreeSlotsNotPrefix, "\(at): a slot in use follows an empty one (entries below it are unreachable)",
                    block: block, structure: .hTreeNode, node: id, fix: rebuild)
            }
            if index.badEmptySlot {
                context.report(
                    .htreeBadEmptySlot, "\(at): an empty slot is not hash FFFFFFFF with a zero pointer", block: block,
                    structure: .hTreeNode, node: id, fix: rebuild)
            }
            if index.paddingNonZero {
                context.report(
                    .htreePaddingNonZero, "\(at): bytes 4080…4095 are not zero", block: block, structure: .hTreeNode,
                    node: id, fix: rebuild)
            }
            if index.slots.isEmpty {
                context.report(
                    .htreeEmptyNode, "\(at) has no slots in use but is still linked", block: block, structure: .hTreeNode,
                    node: id, fix: rebuild)
            }
            var unsorted = false
            var wrongHashes = 0
            for (number, slot) in index.slots.enumerated() {
                if number > 0, index.slots[number - 1].hash > slot.hash { unsorted = true }
                let below: UInt32?
                switch index.children[number] {
                case .leaf(let leaf): below = image.leaves[leaf].entries.isEmpty ? nil : leafMaximum[leaf]
                case .index(let child): below = image.indexBlocks[child].slots.map(\.hash).max()
                case .missing: below = nil
                }
                if let below, below != slot.hash { wrongHashes += 1 }
            }
            if unsorted {
                context.report(
                    .htreeUnsorted, "\(at): slots are not sorted by hash", block: block, structure: .hTreeNode, node: id,
                    fix: rebuild)
            }
            if wrongHashes > 0 {
                context.report(
                    .htreeSlotHash, "\(at): \(wrongHashes) slot hash(es) differ from the largest name hash below them",
                    block: block, structure: .hTreeNode, node: id, fix: rebuild)
            }
        }
    }

    /// Whether the lookup of §10.7 for `hash`, starting at `child`, reaches leaf `leaf`.
    private static func finds(_ child: DirectoryImage.Child, hash: UInt32, leaf: Int, in image: DirectoryImage) -> Bool {
        switch child {
        case .leaf(let number): return number == leaf
        case .missing: return false
        case .index(let number):
            let block = image.indexBlocks[number]
            var previous: UInt32 = 0
            for (slot, entry) in block.slots.enumerated() {
                if entry.hash < hash { continue }
                if previous > hash { break }
                if finds(block.children[slot], hash: hash, leaf: leaf, in: image) { return true }
                previous = entry.hash
            }
            return false
        }
    }
}

func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
