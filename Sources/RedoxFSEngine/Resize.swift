import RedoxFSFormat

/// Growing and shrinking a file system in place (spec §14.4).
extension FileSystemEngine {
    /// The smallest size in bytes the file system can shrink to: up to and including its last
    /// allocated block (the free run that ends at the end of the file system can go).
    public func minimumSize() throws(FileSystemError) -> UInt64 {
        try lock.locked { () throws(FileSystemError) in
            let end = Self.lastUsedEnd(of: try allocator(), blocks: working.blockCount)
            return max(end, RedoxFS.minimumBlocks) * UInt64(RedoxFS.blockSize)
        }
    }

    /// One past the last block that is not free: the start of the free run ending at `blocks`.
    static func lastUsedEnd(of allocator: BuddyAllocator, blocks: UInt64) -> UInt64 {
        var pieces: [(index: UInt64, count: UInt64)] = []
        for (level, indices) in allocator.free.enumerated() {
            for index in indices { pieces.append((index, UInt64(1) << UInt64(level))) }
        }
        pieces.sort { $0.index > $1.index }
        var end = blocks
        for piece in pieces {
            if piece.index + piece.count == end {
                end = piece.index
            } else if piece.index + piece.count < end {
                break
            }
        }
        return end
    }

    /// Changes the file system's size to `newSize` bytes (rounded down to whole blocks) and
    /// commits with a squashed allocation log. Growing frees the new blocks; shrinking requires
    /// every block past the new end to be free (see `minimumSize`). The device must already hold
    /// the new size: grow the image file before opening it, truncate it after closing.
    public func resize(to newSize: UInt64) throws(FileSystemError) {
        try lock.locked { () throws(FileSystemError) in
            try requireWritable()
            try requireOutermost("resize")
            let blockSize = UInt64(RedoxFS.blockSize)
            let newBlocks = newSize / blockSize
            guard newBlocks >= RedoxFS.minimumBlocks else {
                throw .invalidArgument("a file system needs at least \(RedoxFS.minimumBlocks * blockSize) bytes")
            }
            guard newBlocks <= device.blockCount - min(device.blockCount, startBlock) else {
                throw .invalidArgument(
                    "the device holds \((device.blockCount - min(device.blockCount, startBlock)) * blockSize) bytes "
                        + "after the reserved area; \(newBlocks * blockSize) were asked for")
            }
            // Settle what is pending (an operation of its own), so that no deferred free lands
            // past the new end.
            if hasPendingChanges { try commit(squash: true) }
            try transaction { () throws(FileSystemError) in
                let oldBlocks = working.blockCount
                let current = try allocator()
                var resized = BuddyAllocator()
                if newBlocks >= oldBlocks {
                    resized = current
                    if newBlocks > oldBlocks { resized.deallocate(extent: oldBlocks, count: newBlocks - oldBlocks) }
                } else {
                    let end = Self.lastUsedEnd(of: current, blocks: oldBlocks)
                    guard end <= newBlocks else {
                        throw .invalidArgument(
                            "block \(end - 1) is in use: the file system cannot shrink below \(end * blockSize) bytes")
                    }
                    // Rebuild the map without the blocks past the new end (all of them are free).
                    for (level, indices) in current.free.enumerated() {
                        let count = UInt64(1) << UInt64(level)
                        for index in indices where index < newBlocks {
                            resized.deallocate(extent: index, count: min(count, newBlocks - index))
                        }
                    }
                }
                allocatorState = resized
                working.size = newBlocks * blockSize
                requestCommit(squash: true)
            }
        }
    }
}
