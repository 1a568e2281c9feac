/// A set of blocks kept as sorted, disjoint, non-adjacent half-open extents. Used to replay the
/// allocation log: unlike the buddy allocator it answers "which part of this extent is already
/// free?" in one look-up, so replaying hostile entries stays cheap and can be checked.
struct ExtentSet: Sendable, Equatable {
    /// The extents, sorted by start.
    private(set) var ranges: [Range<UInt64>] = []

    /// Total number of blocks in the set.
    var count: UInt64 { ranges.reduce(0) { $0 + UInt64($1.count) } }

    /// Index of the first extent whose end is after `block`.
    private func firstEnding(after block: UInt64) -> Int {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound <= block { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The parts of `range` that are in the set.
    func intersection(_ range: Range<UInt64>) -> [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        var index = firstEnding(after: range.lowerBound)
        while index < ranges.count, ranges[index].lowerBound < range.upperBound {
            let part = max(ranges[index].lowerBound, range.lowerBound)..<min(ranges[index].upperBound, range.upperBound)
            if !part.isEmpty { result.append(part) }
            index += 1
        }
        return result
    }

    /// Whether any block of `range` is in the set.
    func overlaps(_ range: Range<UInt64>) -> Bool {
        let index = firstEnding(after: range.lowerBound)
        return index < ranges.count && ranges[index].lowerBound < range.upperBound
    }

    func contains(_ block: UInt64) -> Bool { overlaps(block..<block + 1) }

    /// Adds `range`; returns the parts that were already in the set.
    @discardableResult
    mutating func insert(_ range: Range<UInt64>) -> [Range<UInt64>] {
        guard !range.isEmpty else { return [] }
        // At or after the start of the last extent (extents added in order): only that one can
        // overlap or touch the range.
        guard let final = ranges.last, range.lowerBound < final.lowerBound else {
            if let final = ranges.last, range.lowerBound <= final.upperBound {
                ranges[ranges.count - 1] = final.lowerBound..<max(final.upperBound, range.upperBound)
                return range.lowerBound < final.upperBound ? [range.lowerBound..<min(range.upperBound, final.upperBound)] : []
            }
            ranges.append(range)
            return []
        }
        let already = intersection(range)
        // Merge with every extent overlapping or touching the range.
        var first = firstEnding(after: range.lowerBound == 0 ? 0 : range.lowerBound - 1)
        if first > 0, ranges[first - 1].upperBound == range.lowerBound { first -= 1 }
        var last = first
        var lower = range.lowerBound, upper = range.upperBound
        while last < ranges.count, ranges[last].lowerBound <= range.upperBound {
            lower = min(lower, ranges[last].lowerBound)
            upper = max(upper, ranges[last].upperBound)
            last += 1
        }
        ranges.replaceSubrange(first..<last, with: [lower..<upper])
        return already
    }

    /// Removes `range`; returns the parts that were not in the set.
    @discardableResult
    mutating func remove(_ range: Range<UInt64>) -> [Range<UInt64>] {
        guard !range.isEmpty else { return [] }
        var missing: [Range<UInt64>] = []
        var cursor = range.lowerBound
        for part in intersection(range) {
            if part.lowerBound > cursor { missing.append(cursor..<part.lowerBound) }
            cursor = part.upperBound
        }
        if cursor < range.upperBound { missing.append(cursor..<range.upperBound) }
        let first = firstEnding(after: range.lowerBound)
        var last = first
        var replacement: [Range<UInt64>] = []
        while last < ranges.count, ranges[last].lowerBound < range.upperBound {
            let extent = ranges[last]
            if extent.lowerBound < range.lowerBound { replacement.append(extent.lowerBound..<range.lowerBound) }
            if extent.upperBound > range.upperBound { replacement.append(range.upperBound..<extent.upperBound) }
            last += 1
        }
        ranges.replaceSubrange(first..<last, with: replacement)
        return missing
    }
}
