/// The in-memory free-space map: per level k, the sorted indices of free pieces of 2^k blocks
/// (each a multiple of 2^k). Its policy is the reference's (spec §11.1), so that images written
/// here place blocks where upstream would.
public struct BuddyAllocator: Equatable, Sendable {
    public static let levelCount = 64
    /// `free[k]`: sorted indices of free pieces at level k.
    public private(set) var free: [[UInt64]]

    public init() { free = [[UInt64]](repeating: [], count: Self.levelCount) }

    /// Number of free 4096-byte blocks.
    public var freeBlocks: UInt64 {
        var total: UInt64 = 0
        for k in 0..<Self.levelCount { total += UInt64(free[k].count) << UInt64(k) }
        return total
    }

    // Sorted-array helpers.
    private static func position(of value: UInt64, in array: [UInt64]) -> (index: Int, found: Bool) {
        var low = 0, high = array.count
        while low < high {
            let mid = (low + high) / 2
            if array[mid] < value { low = mid + 1 } else { high = mid }
        }
        return (low, low < array.count && array[low] == value)
    }

    public func isFree(_ index: UInt64, level k: Int) -> Bool { Self.position(of: index, in: free[k]).found }

    private mutating func insert(_ index: UInt64, level k: Int) {
        let (at, found) = Self.position(of: index, in: free[k])
        if !found { free[k].insert(index, at: at) }
    }

    @discardableResult
    private mutating func remove(_ index: UInt64, level k: Int) -> Bool {
        let (at, found) = Self.position(of: index, in: free[k])
        if found { free[k].remove(at: at) }
        return found
    }

    /// Takes the lowest-addressed piece able to hold 2^level blocks, split from the left.
    public mutating func allocate(level: Int) -> UInt64? {
        var best: (index: UInt64, level: Int)?
        for k in level..<Self.levelCount {
            guard let first = free[k].first else { continue }
            if best == nil || first < best!.index { best = (first, k) }
        }
        guard let (index, found) = best else { return nil }
        remove(index, level: found)
        var k = found
        while k > level {
            k -= 1
            insert(index + (1 << UInt64(k)), level: k)
        }
        return index
    }

    /// Returns the piece of 2^level blocks at `index`, merging with free buddies.
    public mutating func deallocate(_ index: UInt64, level: Int) {
        var index = index
        var k = level
        while k < Self.levelCount - 1 {
            let size = UInt64(1) << UInt64(k)
            if index % (size << 1) == 0, remove(index + size, level: k) {
                k += 1
                continue
            }
            if index >= size, (index - size) % (size << 1) == 0, remove(index - size, level: k) {
                index -= size
                k += 1
                continue
            }
            break
        }
        insert(index, level: k)
    }

    /// Frees `count` blocks from `index` as maximal aligned pieces; the result equals freeing them
    /// one block at a time, since buddy merging is canonical.
    public mutating func deallocate(extent index: UInt64, count: UInt64) {
        var start = index
        let end = index + count
        while start < end {
            var k = 0
            while k < Self.levelCount - 2 {
                let next = UInt64(1) << UInt64(k + 1)
                guard start % next == 0, end - start >= next else { break }
                k += 1
            }
            deallocate(start, level: k)
            start += UInt64(1) << UInt64(k)
        }
    }

    /// Removes the single block `index` from whatever free piece holds it; false if it is not free.
    public mutating func takeExact(_ index: UInt64) -> Bool {
        for k in 0..<Self.levelCount {
            let start = index & ~((UInt64(1) << UInt64(k)) - 1)
            guard remove(start, level: k) else { continue }
            var piece = start
            var level = k
            while level > 0 {
                level -= 1
                let half = UInt64(1) << UInt64(level)
                if index < piece + half {
                    insert(piece + half, level: level)
                } else {
                    insert(piece, level: level)
                    piece += half
                }
            }
            return true
        }
        return false
    }

    /// Whether block `index` lies in some free piece.
    public func contains(_ index: UInt64) -> Bool {
        for k in 0..<Self.levelCount {
            let start = index & ~((UInt64(1) << UInt64(k)) - 1)
            if isFree(start, level: k) { return true }
        }
        return false
    }

    /// Applies one allocation-log entry as the reference replays it (spec §11.3); returns the first
    /// block that could not be taken (already allocated), or nil.
    public mutating func apply(_ entry: AllocEntry) -> UInt64? {
        if entry.count > 0 {
            deallocate(extent: entry.index, count: UInt64(entry.count))
        } else if entry.count < 0 {
            for offset in 0..<UInt64(-entry.count) where !takeExact(entry.index + offset) {
                return entry.index + offset
            }
        }
        return nil
    }

    /// The squashed log: free extents from the highest level down, merged as the reference does (§11.5).
    /// Each piece joins the entry that starts where it ends, else the one that ends where it
    /// starts, else starts a new entry (entries never overlap, so each of those is unique: found
    /// by table, not by a search through every entry).
    public func squashedEntries() -> [AllocEntry] {
        var entries: [AllocEntry] = []
        var startingAt: [UInt64: Int] = [:]  // entry position by its first block
        var endingAt: [UInt64: Int] = [:]  // entry position by the block past its end
        for k in stride(from: Self.levelCount - 1, through: 0, by: -1) {
            let size = Int64(1) << Int64(k)
            for index in free[k] {
                let end = index + UInt64(size)
                if let i = startingAt.removeValue(forKey: end) {
                    entries[i] = AllocEntry(index: index, count: entries[i].count + size)
                    startingAt[index] = i
                } else if let i = endingAt.removeValue(forKey: index) {
                    entries[i].count += size
                    endingAt[end] = i
                } else {
                    startingAt[index] = entries.count
                    endingAt[end] = entries.count
                    entries.append(AllocEntry(index: index, count: size))
                }
            }
        }
        return entries
    }
}
