import Testing
import RedoxFSFormat

/// `DirList.appending` on a leaf whose entry area holds old bytes past `used` (as upstream's
/// removal leaves them): the entry lands at `used`, the counters follow, and the rest of the
/// entry area comes out zeroed, the same bytes `encode` gives.
@Suite struct DirListAppendingTests {
    @Test func appendingZeroesTheStaleTail() throws {
        let kept = [DirectoryEntry(nodeID: 2, name: Array("kept".utf8)), DirectoryEntry(nodeID: 3, name: Array("also".utf8))]
        var leaf = DirList(entries: kept).encode()
        let used = kept.reduce(0) { $0 + $1.encodedSize }
        for offset in used..<DirList.capacity { leaf[offset] = UInt8(truncatingIfNeeded: offset | 1) }  // an old name left behind

        let entry = DirectoryEntry(nodeID: 9, name: Array("new-entry".utf8))
        let appended = try #require(try DirList.appending(entry, to: leaf, at: 300))
        #expect(appended == DirList(entries: kept + [entry]).encode())
        #expect(try DirList(block: appended, at: 300).entries == kept + [entry])
    }

    @Test func appendingToAFullLeafGivesNil() throws {
        let names = (0..<340).map { DirectoryEntry(nodeID: UInt32($0 + 2), name: Array("n\($0 % 10)\($0 / 10 % 10)\($0 / 100)abc".utf8)) }
        let leaf = DirList(entries: names).encode()
        #expect(try DirList.appending(DirectoryEntry(nodeID: 999, name: Array("overflowing".utf8)), to: leaf, at: 7) == nil)
    }
}
