import Testing
@testable import RedoxFSFormat

/// Tree lists and nodes read in place, and the walkers' visited-block set.
@Suite struct InPlaceDecodingTests {
    /// A block of pseudo-random bytes from `seed`.
    static func noise(_ seed: UInt64, count: Int = RedoxFS.blockSize) -> [UInt8] {
        // Odd, hence never the xorshift's stuck zero, and one state per seed.
        var state = seed &* 2 &+ 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    @Test func treeListPointersDecodeTheBytesTheyWereReadFrom() {
        let block = Self.noise(7)
        let list = TreeList(block: block)
        for i in 0..<TreeList.entryCount {
            let expected = BlockPointer(address: BlockAddress(rawValue: block.le64(at: i * 16)), hash: block.le64(at: i * 16 + 8))
            #expect(list.pointers[i] == expected)
            #expect(list.pointer(i) == expected)
        }
        #expect(list.encode() == block)
        #expect(list.flags == Array(block[4064..<4096]))
    }

    @Test func settingAPointerChangesOnlyItsSixteenBytes() {
        let block = Self.noise(11)
        var list = TreeList(block: block)
        let copy = list
        let pointer = BlockPointer(address: BlockAddress(index: 12345, level: 2), hash: 0xDEAD_BEEF)
        list.pointers[17] = pointer
        list.pointers[18].hash = 42
        let encoded = list.encode()
        #expect(list.pointers[17] == pointer)
        #expect(list.pointers[18].hash == 42)
        #expect(Array(encoded[0..<(17 * 16)]) == Array(block[0..<(17 * 16)]))
        #expect(Array(encoded[(19 * 16)...]) == Array(block[(19 * 16)...]))
        #expect(copy.encode() == block, "a copy made before the change keeps the old bytes")
    }

    /// `isEmpty` reads every slot's address (the block index alone: level bits and hashes of a
    /// null address do not count), the last slot included, and agrees with the pointers' view.
    @Test func emptinessLooksAtEverySlotsAddress() {
        for slot in 0..<TreeList.entryCount {
            var list = TreeList()
            list.pointers[slot] = BlockPointer(address: BlockAddress(rawValue: 0x3F), hash: .max)
            #expect(list.isEmpty, "slot \(slot): an address of block index 0 is null")
            list.pointers[slot] = BlockPointer(address: BlockAddress(index: 1, level: 0), hash: 0)
            #expect(!list.isEmpty, "slot \(slot)")
        }
        var outcomes = (empty: 0, nonEmpty: 0)
        for seed: UInt64 in 1...40 {
            var block = Self.noise(seed)
            // Null most addresses (all of them for every fourth seed), so that both answers occur.
            for i in 0..<TreeList.entryCount where (block[i * 16] & 0x3F) != 0 || seed % 4 == 0 {
                for byte in 1..<8 { block[i * 16 + byte] = 0 }
            }
            let list = TreeList(block: block)
            #expect(list.isEmpty == (0..<TreeList.entryCount).allSatisfy { list.pointers[$0].isNull }, "seed \(seed)")
            if list.isEmpty { outcomes.empty += 1 } else { outcomes.nonEmpty += 1 }
        }
        #expect(outcomes.empty > 0 && outcomes.nonEmpty > 0, "both answers occur: \(outcomes)")
        let flagsOnly = TreeList(block: [UInt8](repeating: 0, count: 4064) + [UInt8](repeating: 0xFF, count: 32))
        #expect(flagsOnly.isEmpty, "flags are not pointers")
    }

    @Test func fullAndEmptyMatchTheirDefinitions() {
        var list = TreeList()
        #expect(list.isEmpty && !list.isFull)
        for i in 0..<TreeList.entryCount {
            #expect(!list.isFull)
            list.setFlag(i, true)
        }
        #expect(list.isFull)
        list.setFlag(253, false)
        #expect(!list.isFull)
        list.pointers[253] = BlockPointer(address: BlockAddress(index: 9, level: 0), hash: 1)
        #expect(!list.isEmpty)
        list.pointers[253] = .null
        #expect(list.isEmpty)
        // A pointer whose address is null but whose hash is not still counts as null.
        list.pointers[0] = BlockPointer(address: BlockAddress(rawValue: 0), hash: 5)
        #expect(list.isEmpty)
    }

    @Test func shortBlocksArePaddedWithZeros() {
        let list = TreeList(block: [UInt8](repeating: 0xFF, count: 20))
        #expect(list.encode().count == RedoxFS.blockSize)
        #expect(list.pointers[0].address.rawValue == .max)
        #expect(list.pointers[1].address.rawValue == 0xFFFF_FFFF)
        #expect(list.pointers[2].isNull)
    }

    @Test func nodeViewReadsWhatTheDecodedNodeHolds() throws {
        for seed in 1...20 as ClosedRange<UInt64> {
            let block = Self.noise(seed)
            let node = Node(block: block)
            let view = try #require(NodeView(block: block))
            #expect(view.mode == node.mode && view.uid == node.uid && view.gid == node.gid)
            #expect(view.links == node.links && view.size == node.size && view.blocks == node.blocks)
            #expect(view.recordLevel == node.recordLevel && view.flags == node.flags)
            #expect(view.kind == node.kind && view.hasInlineData == node.hasInlineData)
            for i in [0, 1, 2, 127, 200, 247] { #expect(view.levelPointer(i) == node.levelPointer(i)) }
            #expect(view.node == node)
            #expect(node.encode() == block, "encoding gives back the bytes decoded")
        }
        #expect(NodeView(block: [1, 2, 3]) == nil)
    }

    @Test func nodeEncodingFillsShortAreasWithZeros() {
        var node = Node(mode: NodeKind.file.rawValue | 0o644, uid: 1, gid: 2, seconds: 3, nanoseconds: 4)
        node.data = [9, 9, 9]
        node.padding = []
        let block = node.encode()
        #expect(block.count == RedoxFS.blockSize)
        #expect(Array(block[128..<131]) == [9, 9, 9])
        #expect(block[131...].allSatisfy { $0 == 0 })
        #expect(block[74..<128].allSatisfy { $0 == 0 })
    }

    @Test func visitedBlocksFindEveryRepeatAmongManyInserts() throws {
        var visited = VisitedBlocks()
        // Neighbouring and widely spread indices, 0 included.
        let indices: [UInt64] = Array(0..<5000) + (1...5000).map { $0 &* 0x9E37_79B9 } + [.max - 1]
        for index in indices {
            let added = visited.insert(index)
            #expect(added)
        }
        for index in indices.shuffled().prefix(2000) {
            let added = visited.insert(index)
            #expect(!added)
        }
        let pointer = BlockPointer(address: BlockAddress(index: 4999, level: 0), hash: 0)
        #expect(throws: FormatError.self) { try visited.insert(pointer, as: .dirList) }
    }
}
