import RedoxFSFormat

/// The space invariant of the format (spec §15, items 10, 14, 15): each reachable block used once,
/// no reachable block free, and no block neither free nor reachable (a leak).
public struct SpaceReport: Equatable, Sendable {
    /// Blocks used by more than one structure.
    public var shared: [UInt64]
    /// Reachable blocks that the allocation log lists as free.
    public var usedButFree: [UInt64]
    /// Allocated blocks that nothing reaches (block 256 excepted: upstream never uses it).
    public var leaked: [UInt64]

    public var isClean: Bool { shared.isEmpty && usedButFree.isEmpty && leaked.isEmpty }
}

extension FileSystemEngine {
    /// Compares the blocks reachable from the working header with the allocation log.
    public func spaceReport() throws(FileSystemError) -> SpaceReport {
        try lock.locked { () throws(FileSystemError) in
            let usage = try blockUsage()
            let allocator = try replayAllocationLog(working.alloc)
            var usedButFree: [UInt64] = []
            for index in usage.users.keys where allocator.contains(index) { usedButFree.append(index) }
            var leaked: [UInt64] = []
            for index in UInt64(257)..<working.blockCount where usage.users[index] == nil && !allocator.contains(index) {
                leaked.append(index)
            }
            return SpaceReport(shared: usage.sharedBlocks, usedButFree: usedButFree.sorted(), leaked: leaked)
        }
    }
}
