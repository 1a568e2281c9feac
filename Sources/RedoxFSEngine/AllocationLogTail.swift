import RedoxFSFormat

/// The newest block of the allocation log as encoded (spec §11.3): its pointer, its bytes, and
/// how many entry slots it uses (a prefix; the slots after it are zero).
///
/// Each ordinary commit replaces the newest block by a copy holding its entries plus the
/// commit's own. The engine keeps the block its last commit wrote, so the next commit appends
/// to those bytes instead of reading, decoding and re-encoding all of its entries.
struct AllocationLogTail {
    var pointer: BlockPointer
    var block: [UInt8]
    var count: Int
}

extension FileSystemEngine {
    /// The log block `pointer` names: from memory when the last commit wrote it, else read and
    /// encoded again with its entries packed (as each commit writes them).
    func allocationLogTail(_ pointer: BlockPointer) throws(FileSystemError) -> AllocationLogTail {
        // A pointer names its block's content (address and hash), as the block cache relies on.
        if let tail = allocationTail, tail.pointer == pointer { return tail }
        let list = try withReader { (reader) throws(FormatError) in
            AllocList(block: try reader.reader.read(pointer, as: .allocList))
        }
        return AllocationLogTail(pointer: pointer, block: list.encode(), count: list.entries.count)
    }

    /// Puts the commit's log blocks into the write cache at `indices` (in order, each pointing to
    /// the one before): `entries` fill the slots after those of `base` (the newest block, which
    /// the first new block replaces) or, without a base, fresh blocks whose chain starts at
    /// `previous`. The result is what encoding the base's entries followed by `entries` in chunks
    /// of `AllocList.entryCount` gives. Returns the newest block.
    func storeLogBlocks(
        at indices: [UInt64], entries: [AllocEntry], continuing base: AllocationLogTail?, previous: BlockPointer
    ) -> AllocationLogTail? {
        var pointer = previous
        var next = entries.startIndex
        var newest: AllocationLogTail?
        for (n, index) in indices.enumerated() {
            var block: [UInt8]
            var slot: Int
            if n == 0, let base {
                block = base.block
                slot = base.count
            } else {
                block = [UInt8](repeating: 0, count: RedoxFS.blockSize)
                pointer.encode(into: &block, at: 0)
                slot = 0
            }
            while slot < AllocList.entryCount, next < entries.endIndex {
                AllocList.store(entries[next], slot: slot, in: &block)
                slot += 1
                next += 1
            }
            let hash = seaHash(block)
            cache.insertDirty(index, block, hash: hash)
            pointer = BlockPointer(address: BlockAddress(index: index, level: 0), hash: hash)
            newest = AllocationLogTail(pointer: pointer, block: block, count: slot)
        }
        return newest
    }
}
