import RedoxFSTestSupport
import Testing
@testable import RedoxFSFormat

/// The squashed log found by table gives exactly the entries, in the same order, of the rule
/// stated by search (spec §11.5): the first entry starting where the piece ends, else the first
/// ending where it starts, else a new entry.
@Suite struct SquashedEntriesTests {
    static func bySearch(_ allocator: BuddyAllocator) -> [AllocEntry] {
        var entries: [AllocEntry] = []
        for k in stride(from: BuddyAllocator.levelCount - 1, through: 0, by: -1) {
            let size = Int64(1) << Int64(k)
            for index in allocator.free[k] {
                if let i = entries.firstIndex(where: { index + UInt64(size) == $0.index }) {
                    entries[i] = AllocEntry(index: index, count: entries[i].count + size)
                } else if let i = entries.firstIndex(where: { $0.index + UInt64($0.count) == index }) {
                    entries[i].count += size
                } else {
                    entries.append(AllocEntry(index: index, count: size))
                }
            }
        }
        return entries
    }

    @Test func matchesTheRuleOnFragmentedFreeSpace() {
        var random = SplitMix64(state: 12)
        var most = 0
        for round in 0..<40 {
            var allocator = BuddyAllocator()
            allocator.deallocate(extent: 257, count: UInt64(1000 + round * 300))
            var taken: [(UInt64, Int)] = []
            for _ in 0..<(50 + round * 20) {
                let level = Int(random.next() % 4)
                if let index = allocator.allocate(level: level) { taken.append((index, level)) }
            }
            for (index, level) in taken where random.next() % 3 == 0 { allocator.deallocate(index, level: level) }
            let squashed = allocator.squashedEntries()
            #expect(squashed == Self.bySearch(allocator), "round \(round)")
            most = max(most, squashed.count)
        }
        #expect(most > 20)  // the free space really was fragmented
    }
}
