import RedoxFS

/// What scanning a node block's 4 KiB for zero bytes finds, worked out by the worker that read
/// the block (`NodePrefetcher`), so that the main thread's checks do not scan it again.
struct NodeScan: Sendable {
    /// Level pointers per group (the last group holds the area's last 8 pointers).
    static let groupSize = 16
    static let pointerCount = RedoxFS.inlineDataSize / 16

    /// Bit `g` set: level pointers `g * 16 ..< min(248, g * 16 + 16)` are all zero bytes (files
    /// that keep pointers; nil for the others).
    var zeroGroups: UInt16?
    /// Bit `i` set: level pointer `i` (of the first 64) is all zero bytes (with `zeroGroups`).
    var zeroLowPointers: UInt64 = 0
    var paddingIsZero: Bool
    /// For inline nodes (nil for the others).
    var inlineTailIsZero: Bool?
    /// For directories (nil for the others).
    var directoryExtraPointersAreZero: Bool?

    /// The node's fields, decoded by the worker: the main thread then reads a node block only
    /// for its level pointers (its header would be a cache miss per node on the other core).
    var mode: UInt16
    var links: UInt32
    var size: UInt64
    var blocks: UInt64
    var recordLevel: UInt32
    var flags: UInt32
    var hasInlineData: Bool { flags & Node.inlineDataFlag != 0 }

    /// The first `lowPointerCount` level pointers (the records of a small file, a directory's
    /// marker and top), decoded by the worker for the same reason; nulls for inline nodes.
    static let lowPointerCount = 4
    var lowPointers: (BlockPointer, BlockPointer, BlockPointer, BlockPointer) = (.null, .null, .null, .null)

    /// Whether the level pointers past the first `lowPointerCount` are all zero bytes (a file
    /// that keeps pointers; false for the others): its content is at most records 0…3, the
    /// direct records of `lowPointers` (the first tier of the level area).
    var onlyLowPointers: Bool {
        guard let groups = zeroGroups else { return false }
        // Groups 1…15 all zero, and pointers 4…15 of group 0.
        return groups & 0xFFFE == 0xFFFE && zeroLowPointers & 0xFFF0 == 0xFFF0
    }

    /// Scans what the checks of this kind of node look at, each byte once.
    init(_ view: NodeView) {
        (mode, links, size, blocks) = (view.mode, view.links, view.size, view.blocks)
        (recordLevel, flags) = (view.recordLevel, view.flags)
        if !view.hasInlineData {
            lowPointers = (view.levelPointer(0), view.levelPointer(1), view.levelPointer(2), view.levelPointer(3))
        }
        paddingIsZero = view.paddingIsZero
        if view.isDirectory {
            directoryExtraPointersAreZero = view.directoryExtraPointersAreZero
        } else if view.hasInlineData {
            inlineTailIsZero = view.inlineTailIsZero
        } else {
            var groups: UInt16 = 0
            var pointers: UInt64 = 0
            var group = 0
            while group * Self.groupSize < Self.pointerCount {
                let range = Self.pointers(ofGroup: group)
                // Groups are 16 pointers from a multiple of 16: the first four fill the word.
                var bits: UInt64 = 0
                if view.levelPointersAreZero(range) {
                    groups |= 1 << UInt16(group)
                    bits = UInt64(1) << UInt64(range.count) &- 1
                } else if range.lowerBound < 64 {
                    view.bytes.withUnsafeBytes { raw in
                        for index in range {
                            let offset = view.offset + Node.dataOffset + index * 16
                            let low = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                            let high = raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
                            if low | high == 0 { bits |= 1 << UInt64(index - range.lowerBound) }
                        }
                    }
                }
                if range.lowerBound < 64 { pointers |= bits << UInt64(range.lowerBound) }
                group += 1
            }
            zeroGroups = groups
            zeroLowPointers = pointers
        }
    }

    static func pointers(ofGroup group: Int) -> Range<Int> {
        group * groupSize..<min(pointerCount, group * groupSize + groupSize)
    }
}

/// A node read in place (`NodeView`) with, when a worker read it, its zero scan (`NodeScan`):
/// the checks and the content walk ask it instead of the view.
struct ScannedNode: NodeFields {
    let view: NodeView
    let scan: NodeScan?

    // The fields, taken once (the checks ask for them again and again).
    let mode: UInt16
    let size: UInt64
    let recordLevel: UInt32
    let flags: UInt32
    let links: UInt32
    let blocks: UInt64

    init(view: NodeView, scan: NodeScan?) {
        self.view = view
        self.scan = scan
        if let scan {
            (mode, size, recordLevel, flags, links, blocks) =
                (scan.mode, scan.size, scan.recordLevel, scan.flags, scan.links, scan.blocks)
        } else {
            (mode, size, recordLevel, flags, links, blocks) =
                (view.mode, view.size, view.recordLevel, view.flags, view.links, view.blocks)
        }
    }

    func levelPointer(_ index: Int) -> BlockPointer {
        if let scan, !scan.hasInlineData, index >= 0, index < NodeScan.lowPointerCount {
            switch index {
            case 0: return scan.lowPointers.0
            case 1: return scan.lowPointers.1
            case 2: return scan.lowPointers.2
            default: return scan.lowPointers.3
            }
        }
        // A pointer of zero bytes is the null pointer: no need to decode it.
        if let scan, scan.zeroGroups != nil, index >= 0, index < 64,
            scan.zeroLowPointers & (1 << UInt64(index)) != 0
        {
            return .null
        }
        return view.levelPointer(index)
    }

    func levelPointersAreZero(_ indices: Range<Int>) -> Bool {
        if let groups = scan?.zeroGroups, indices.lowerBound % NodeScan.groupSize == 0 {
            let group = indices.lowerBound / NodeScan.groupSize
            if group < 16, indices == NodeScan.pointers(ofGroup: group) { return groups & (1 << UInt16(group)) != 0 }
        }
        return view.levelPointersAreZero(indices)
    }

    var paddingIsZero: Bool { scan?.paddingIsZero ?? view.paddingIsZero }
    var inlineTailIsZero: Bool { scan?.inlineTailIsZero ?? view.inlineTailIsZero }
    var directoryExtraPointersAreZero: Bool {
        scan?.directoryExtraPointersAreZero ?? view.directoryExtraPointersAreZero
    }
}
