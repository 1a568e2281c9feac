// libFuzzer target for the block decoders (scripts/fuzz.sh Structures SECONDS).
//
// Input: one selector byte, then up to 4096 bytes of a block (zero-padded). Decodes it as a
// TreeList, Node, BlockList, DirList, HTreeNode, AllocList or ReleaseList; checks that decoding
// never traps and that what decodes re-encodes to a block that decodes to the same value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStructures(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    var block = Array(UnsafeBufferPointer(start: data + 1, count: min(size - 1, RedoxFS.blockSize)))
    block += [UInt8](repeating: 0, count: RedoxFS.blockSize - block.count)
    switch data[0] % 8 {
    case 0:
        let list = TreeList(block: block)
        precondition(TreeList(block: list.encode()) == list)
        _ = (list.isFull, list.isEmpty)
    case 1:
        let node = Node(block: block)
        precondition(node.encode() == block, "node fields do not round-trip")
        if (try? node.validate(block: 0)) != nil {
            _ = (node.kind, node.recordSize, node.recordCount)
            for slot in 0..<248 { _ = node.levelPointer(slot) }
        }
    case 2:
        let list = BlockList(block: block)
        precondition(list.encode() == block)
    case 3:
        if let list = try? DirList(block: block, at: 0) {
            precondition(try! DirList(block: list.encode(), at: 0) == list)
            _ = list.maximumHash
        }
    case 4:
        let node = HTreeNode(block: block)
        precondition(HTreeNode(block: node.encode()) == node)
        for hash in [0, 1, 0x8000_0000, UInt32.max - 1] as [UInt32] { _ = node.candidates(for: hash) }
    case 5:
        let list = AllocList(block: block)
        precondition(AllocList(block: list.encode()) == list)
        var allocator = BuddyAllocator()
        allocator.deallocate(extent: 256, count: 4096)
        for entry in list.entries.prefix(16) where entry.index < 1 << 20 && entry.count.magnitude < 1 << 16 {
            _ = allocator.apply(entry)
        }
        _ = allocator.squashedEntries()
    case 6:
        let list = ReleaseList(block: block)
        precondition(ReleaseList(block: list.encode()) == list)
    default:
        if let path = RecordPath(record: UInt64(block.le64(at: 0))) { precondition(path.indices.count <= 4) }
        _ = directoryNameHash(Array(block[0..<Int(block[8])]))
    }
    return 0
}
