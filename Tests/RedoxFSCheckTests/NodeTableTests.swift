@testable import RedoxFSCheck
import RedoxFSTestSupport
import Testing

/// The node tables of the checker (arrays for dense ids, a dictionary beyond), against a dictionary.
@Suite struct NodeTableTests {
    /// Random ids, dense and far apart, set, overwritten and removed, agree with a dictionary.
    @Test(arguments: [0, 64, 5000])
    func agreesWithADictionary(denseIDs: Int) {
        var random = SplitMix64(state: UInt64(denseIDs) + 7)
        var table = NodeTable<UInt32>(denseIDs: denseIDs)
        var set = NodeSet(denseIDs: denseIDs)
        var reference: [UInt32: UInt32] = [:]
        for step in 0..<3000 {
            let roll = random.next() % 10
            let id = roll == 0 ? UInt32(truncatingIfNeeded: random.next()) : UInt32(random.next() % 4000)
            if random.next() % 5 == 0 {
                table[id] = nil
                reference[id] = nil
            } else {
                table[id] = UInt32(step)
                reference[id] = UInt32(step)
                let had = set.contains(id)
                #expect(set.insert(id).inserted == !had)
                #expect(set.contains(id))
            }
            table[id, default: 0] += 0
            reference[id, default: 0] += 0
            #expect(table[id] == reference[id])
            #expect(table.count == reference.count)
        }
        for (id, value) in reference { #expect(table[id] == value) }
        #expect(table[4_000_000_000] == reference[4_000_000_000])
    }

    @Test func setInsertsOnce() {
        var set = NodeSet([3, 1, 3, 0xFFFF_FF00], denseIDs: 8)
        #expect(set.count == 3)
        #expect(set.contains(3) && set.contains(0xFFFF_FF00) && !set.contains(2))
        #expect(set.insert(2).inserted)
        #expect(!set.insert(0xFFFF_FF00).inserted)
        #expect(set.count == 4)
    }
}
