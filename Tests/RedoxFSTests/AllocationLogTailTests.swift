@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// Commits append their entries to the allocation log's newest block as the last commit left it
/// in memory (`AllocationLogTail`): the log on the device must stay exactly what decoding and
/// re-encoding every entry gives, and replaying it must give the free-space map in memory —
/// across log blocks that fill up, a squash, a failed commit and a reopen (tail read from disk).
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
        let device = MemoryDevice(blockCount: 2048)
        var fs = try FileSystem.format(device: device)
        var names: [[UInt8]] = []
        let checked: Set<Int> = [0, 16, 17, 18, 60, 149, 150, 151, 152, 200, 300, 301, 302, 350, 351, 352, 419]
        for step in 0..<420 {
            let name = Array("f\(step)".utf8)
            let id = try fs.create(name, in: RedoxFS.rootNodeID, mode: 0o100644, uid: 0, gid: 0)
            try fs.write(id, at: 0, [UInt8](repeating: UInt8(truncatingIfNeeded: step), count: 1 + step % 200))
            names.append(name)
            if step % 3 == 2 { try fs.unlink(names.removeFirst(), in: RedoxFS.rootNodeID) }
            if step == 300 {
                // A commit that fails on its log block: the next one starts from the older tail.
                fs.allocationsBeforeInjectedFailure = 0
                #expect(throws: FileSystemError.self) { try fs.commit() }
                fs.allocationsBeforeInjectedFailure = nil
            }
            // A squashed log at step 150: the commits after it append to its newest block.
            try fs.commit(squash: step == 150)
            if checked.contains(step) { try Self.expectLogMatches(fs, device, "step \(step)") }
            if step == 350 {
                // Reopened: the first commit reads the newest log block from the device.
                try fs.unmount()
                fs = try FileSystem(device: device, writable: true)
            }
        }
    }
}
