@testable import RedoxFS
import RedoxFSFormat
import Testing

/// The space invariant of §15: every reachable block is used once and is not free; every block
/// that is neither free nor reachable is a leak (block 256 is the reference's permanent one).
enum SpaceInvariant {
    static func leaks(_ fs: FileSystem) throws -> (shared: [UInt64], usedButFree: [UInt64], leaked: [UInt64]) {
        let usage = try fs.blockUsage()
        let allocator = try fs.replayAllocationLog(fs.working.alloc)
        var usedButFree: [UInt64] = []
        for index in usage.users.keys where allocator.contains(index) { usedButFree.append(index) }
        var leaked: [UInt64] = []
        for index in UInt64(257)..<fs.working.blockCount where usage.users[index] == nil && !allocator.contains(index) {
            leaked.append(index)
        }
        return (usage.sharedBlocks, usedButFree.sorted(), leaked)
    }

    static func check(_ fs: FileSystem, allowedLeaks: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try leaks(fs)
        #expect(result.shared.isEmpty, "blocks used twice: \(result.shared.prefix(10))", sourceLocation: sourceLocation)
        #expect(result.usedButFree.isEmpty, "reachable blocks marked free: \(result.usedButFree.prefix(10))", sourceLocation: sourceLocation)
        #expect(result.leaked.count <= allowedLeaks, "leaked blocks: \(result.leaked.prefix(10))", sourceLocation: sourceLocation)
    }
}
