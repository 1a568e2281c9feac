@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// The node-pointer cache across unlinks and commits: a removed node reads as gone until its id
/// is used again, and every node reads as it does from the disk after commits that settled the
/// paths of changed nodes.
@Suite struct NodePointerCacheTests {
    @Test func removedNodeIsGoneUntilItsIdIsReused() throws {
        let (device, fs) = try WritePathTests.fresh()
        let first = try fs.create(Array("a".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let second = try fs.create(Array("b".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.write(second, at: 0, Array("kept".utf8))
        try fs.sync()
        _ = try fs.node(first)
        try fs.unlink(Array("a".utf8), in: 1)
        #expect(throws: (any Error).self) { try fs.node(first) }
        let reused = try fs.create(Array("c".utf8), in: 1, mode: 0o100600, uid: 5, gid: 6)
        #expect(reused == first)
        #expect(try fs.node(reused).uid == 5)
        try fs.sync()
        #expect(try fs.node(reused).uid == 5)
        #expect(try fs.read(second, at: 0, count: 10) == Array("kept".utf8))
        let again = try FileSystem(device: device, password: nil, writable: false)
        #expect(try again.node(reused) == fs.node(reused))
    }

    @Test func nodesReadAsFromTheDiskAfterCommits() throws {
        let (device, fs) = try WritePathTests.fresh()
        let folders = try ["x", "y"].map { try fs.create(Array($0.utf8), in: 1, mode: 0o040755, uid: 0, gid: 0) }
        var files: [UInt32] = []
        for round in 0..<4 {
            for n in 0..<30 {
                let folder = folders[n % 2]
                let id = try fs.create(Array("f\(round)-\(n)".utf8), in: folder, mode: 0o100644, uid: 0, gid: 0)
                try fs.write(id, at: 0, WritePathTests.pattern(n * 300 + 1, seed: UInt64(round * 100 + n)))
                files.append(id)
            }
            try fs.sync()
            // Unlink some, change others, commit, then read every node through the cache.
            for n in stride(from: round, to: 30, by: 7) {
                try fs.unlink(Array("f\(round)-\(n)".utf8), in: folders[n % 2])
            }
            for id in files.prefix(10) where (try? fs.node(id)) != nil {
                try fs.write(id, at: 0, Array("changed in round \(round)".utf8))
            }
            try fs.sync()
            let disk = try FileSystem(device: device, password: nil, writable: false)
            for id in files + folders {
                let cached = try? fs.node(id)
                let stored = try? disk.node(id)
                #expect(cached == stored, "node \(id) after round \(round)")
            }
        }
    }
}
