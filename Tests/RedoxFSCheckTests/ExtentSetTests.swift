@testable import RedoxFSCheck
import RedoxFSTestSupport
import Testing

/// The extent set behind the log replay and the space sweep, against a plain set of blocks.
@Suite struct ExtentSetTests {
    @Test func insertMergesAndReportsOverlap() {
        var set = ExtentSet()
        let first = set.insert(10..<20), second = set.insert(30..<40), third = set.insert(20..<30)
        #expect(first.isEmpty && second.isEmpty && third.isEmpty)
        #expect(set.ranges == [10..<40])
        let overlap = set.insert(35..<45)
        #expect(overlap == [35..<40])
        #expect(set.ranges == [10..<45])
        #expect(set.count == 35)
    }

    @Test func removeSplitsAndReportsMissing() {
        var set = ExtentSet()
        set.insert(0..<100)
        let first = set.remove(10..<20)
        #expect(first.isEmpty)
        #expect(set.ranges == [0..<10, 20..<100])
        let second = set.remove(5..<25)
        #expect(second == [10..<20])
        #expect(set.ranges == [0..<5, 25..<100])
        let third = set.remove(200..<201)
        #expect(third == [200..<201])
        #expect(set.contains(4) && !set.contains(5) && set.contains(25))
        #expect(set.intersection(0..<30) == [0..<5, 25..<30])
    }

    /// Random operations agree with a set of blocks.
    @Test(arguments: 0..<8 as Range<UInt64>)
    func agreesWithASetOfBlocks(seed: UInt64) {
        var random = SplitMix64(state: seed + 1)
        var set = ExtentSet()
        var blocks = Set<UInt64>()
        for _ in 0..<400 {
            let start = random.next() % 300
            let range = start..<(start + 1 + random.next() % 40)
            if random.next() % 2 == 0 {
                let already = set.insert(range)
                let expected = range.filter { blocks.contains($0) }
                #expect(already.flatMap { Array($0) } == expected)
                blocks.formUnion(range)
            } else {
                let missing = set.remove(range)
                #expect(missing.flatMap { Array($0) } == range.filter { !blocks.contains($0) })
                blocks.subtract(range)
            }
            #expect(set.count == UInt64(blocks.count))
            for (a, b) in zip(set.ranges, set.ranges.dropFirst()) { #expect(a.upperBound < b.lowerBound) }
        }
    }

    @Test func claimsFindOwnersAndShares() {
        var claims = BlockClaims(limit: 1000)
        let fresh = [
            claims.claim(start: 300, count: 32, owner: .node(5), structure: .record),
            claims.claim(start: 400, count: 1, owner: .nodeTree, structure: .treeList),
            claims.claim(start: 310, count: 1, owner: .node(6), structure: .node),
            claims.claim(start: 2000, count: 1, owner: .node(7), structure: .node),
        ]
        #expect(fresh == [true, true, false, false])
        claims.sortByStart()
        #expect(claims.owners(of: 310).map(\.owner) == [.node(5), .node(6)])
        #expect(claims.owners(of: 331).map(\.owner) == [.node(5)])
        #expect(claims.owners(of: 332).isEmpty)
        #expect(claims.owners(of: 400).map(\.owner) == [.nodeTree])
    }
}
