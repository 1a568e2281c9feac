@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// Commits append their entries to the allocation log's newest block as the last commit left it
/// in memory (`AllocationLogTail`): the log on the device must stay exactly what decoding and
/// re-encoding every entry gives, and replaying it must give the free-space map in memory —
/// across log blocks that fill up, squashes, a failed commit and a reopen (tail read from disk).
@Suite struct AllocationLogTailTests {
    /// The log on `device` replayed (a fresh open) and block by block: packed, as encoded.
    static func expectLogMatches(_ fs: FileSystem, _ device: MemoryDevice, _ note: String) throws {
        var pointer = fs.header.alloc
        var blocks = 0
        while !pointer.isNull, blocks < 10_000 {
            let start = Int(fs.startBlock + pointer.address.index) * RedoxFS.blockSize
            let block = Array(device.bytes[start..<start + RedoxFS.blockSize])
            #expect(SeaHash.hash(block) == pointer.hash, "\(note): log block \(pointer.address.index) does not match its pointer")
            let list = AllocList(block: block)
            #expect(list.encode() == block, "\(note): log block \(pointer.address.index) is not packed as encoded")
            pointer = list.previous
            blocks += 1
        }
        let replayed = try fs.replayAllocationLog(fs.header.alloc)
        #expect(replayed == fs.allocatorState, "\(note): the log does not replay to the free-space map in memory")
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(try reopened.spaceReport().isClean, "\(note): the space report of the image is not clean")
    }

    @Test func appendedLogStaysExact() throws {
        let device = MemoryDevice(blockCount: 8192)
        var fs = try FileSystem.format(device: device)
        var names: [[UInt8]] = []
        for step in 0..<1100 {
            let name = Array("f\(step)".utf8)
            let id = try fs.create(name, in: RedoxFS.rootNodeID, mode: 0o100644, uid: 0, gid: 0)
            try fs.write(id, at: 0, [UInt8](repeating: UInt8(truncatingIfNeeded: step), count: 1 + step % 9000))
            names.append(name)
            if step % 3 == 2 { try fs.unlink(names.removeFirst(), in: RedoxFS.rootNodeID) }
            if step == 300 {
                // A commit that fails on its log block: the next one starts from the older tail.
                fs.allocationsBeforeInjectedFailure = 0
                #expect(throws: FileSystemError.self) { try fs.commit() }
                fs.allocationsBeforeInjectedFailure = nil
            }
            try fs.commit()
            if step % 50 == 0 || step == 301 { try Self.expectLogMatches(fs, device, "step \(step)") }
            if step == 400 {
                // Reopened: the first commit reads the newest log block from the device.
                try fs.unmount()
                fs = try FileSystem(device: device)
            }
        }
        try Self.expectLogMatches(fs, device, "end")
        #expect(fs.header.generation > RedoxFS.allocGCThreshold, "no squashed commit in between")
    }
}
