import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// A failed operation leaves no half-made change: running out of space in the middle of creates,
/// writes and directory growth, then syncing, gives a consistent image.
@Suite struct AtomicityTests {
    @Test func runningOutOfSpaceLeavesAConsistentImage() throws {
        let device = MemoryDevice(blockCount: 400)
        let fs = try FileSystem.format(device: device)
        var failures = 0
        var created: [UInt32] = []
        for i in 0..<400 {
            do {
                let id = try fs.create(Array("file-\(i)-\(String(repeating: "n", count: 200))".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
                created.append(id)
                try fs.write(id, at: 0, [UInt8](repeating: UInt8(i & 0xFF) | 1, count: 9000))
            } catch {
                failures += 1
                #expect(error.errno == ENOSPC, "\(error)")
                if failures > 20 { break }
            }
            if i % 7 == 0 { try? fs.sync() }
        }
        #expect(failures > 0, "the device should have filled up")
        // Free something so that the final commit has room, then sync.
        try fs.unlink(Array("file-0-\(String(repeating: "n", count: 200))".utf8), in: 1)
        try fs.sync()
        let again = try FileSystem(device: device)
        let report = try again.spaceReport()
        #expect(report.isClean, "\(report)")
        for entry in try again.entries(of: 1) {
            let node = try again.node(entry.nodeID)
            let data = try again.read(entry.nodeID, at: 0, count: Int(node.size))
            #expect(data.allSatisfy { $0 == data.first }, "\(entry.nodeID) holds mixed bytes")
        }
    }
}
