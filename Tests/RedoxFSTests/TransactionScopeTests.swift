import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSStress
import RedoxFSTestSupport
import Testing

/// The transaction scope: nested operations join the outermost one, nothing commits before it
/// succeeded, a failure undoes everything, a commit that may have reached the disk stops all
/// changes; and the copy-on-write reserve.
@Suite struct TransactionScopeTests {
    static func expectMatchesDisk(_ fs: FileSystem, _ bytes: [UInt8], password: [UInt8]? = nil) throws {
        let reopened = try FileSystem(device: MemoryDevice(bytes: bytes), password: password)
        #expect(reopened.header.bytes == fs.header.bytes, "the engine's newest header is not the device's")
        #expect(try reopened.spaceReport().isClean)
        if fs.working.bytes == fs.header.bytes {
            #expect(try RedoxFSStress.TreeListing.of(fs) == RedoxFSStress.TreeListing.of(reopened))
        }
    }

    /// The nested `create` inside `createSymlink` would commit (threshold 1 byte); the target
    /// write then fails: nothing was committed, nothing is left.
    @Test func nestedOperationDoesNotCommit() throws {
        let device = MemoryDevice(blockCount: 2048)
        let fs = try FileSystem.format(device: device)
        fs.commitThresholdBytes = 1
        _ = try fs.create(Array("a".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let generation = fs.header.generation
        let before = try RedoxFSStress.TreeListing.of(fs)
        // The create allocates its node and tree path; the target's record is a later allocation.
        for failing in 0..<40 {
            fs.allocationsBeforeInjectedFailure = failing
            let made = try? fs.createSymlink(Array("s".utf8), in: 1, target: [UInt8](repeating: 0x41, count: 6000), uid: 0, gid: 0)
            fs.allocationsBeforeInjectedFailure = nil
            if made != nil { break }
            #expect(fs.header.generation == generation, "allocation \(failing): a nested operation committed")
            #expect(try RedoxFSStress.TreeListing.of(fs) == before, "allocation \(failing): the failure left a trace")
            try Self.expectMatchesDisk(fs, device.bytes)
        }
        #expect(try fs.find(Array("s".utf8), in: 1) != nil)
        #expect(fs.header.generation == generation + 1, "the symbolic link commits once, at its end")
        try Self.expectMatchesDisk(fs, device.bytes)
    }

    /// A commit asked for inside an operation waits for the outermost one; when that fails, it
    /// is not made.
    @Test func commitInsideAnOperationWaitsForItsEnd() throws {
        let device = MemoryDevice(blockCount: 1024)
        let fs = try FileSystem.format(device: device)
        let generation = fs.header.generation
        #expect(throws: FileSystemError.self) {
            try fs.transaction { () throws(FileSystemError) in
                _ = try fs.create(Array("x".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
                try fs.sync()
                #expect(fs.header.generation == generation)
                throw .invalidArgument("fails after the sync")
            }
        }
        #expect(fs.header.generation == generation)
        #expect(try fs.find(Array("x".utf8), in: 1) == nil)
        #expect(!fs.hasUncommittedChanges)
        try fs.transaction { () throws(FileSystemError) in
            _ = try fs.create(Array("y".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
            try fs.sync()
        }
        #expect(fs.header.generation == generation + 1)
        try Self.expectMatchesDisk(fs, device.bytes)
    }

    /// Open counts are transaction state too: a failed operation gives back its retains.
    @Test func openCountsRollBack() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 1024))
        let id = try fs.create(Array("x".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        #expect(throws: FileSystemError.self) {
            try fs.transaction { () throws(FileSystemError) in
                fs.retain(id)
                throw .invalidArgument("undo")
            }
        }
        #expect(fs.openHandleCount(id) == 0)
    }

    /// Each write, flush and allocation of a hole punch, a symbolic link and a sync fails in turn:
    /// every failure leaves the engine equal to the device, and a failure at or after the header
    /// write stops all changes.
    @Test func everyFailurePointLeavesTheEngineEqualToTheDisk() throws {
        var stopped = 0, undone = 0
        let content = (0..<600_000).map { UInt8(truncatingIfNeeded: $0 &* 7 / 4096) }
        for target in 0..<3 {
            for after in 0..<40 {
                let base = MemoryDevice(blockCount: 1536)
                let made = try FileSystem.format(device: base)
                let id = try made.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
                try made.write(id, at: 0, content)
                try made.sync()
                let device = RecordingDevice(recordingOver: MemoryDevice(bytes: base.bytes))
                let fs = try FileSystem(device: device, writable: true)
                fs.commitThresholdBytes = 1
                switch target {
                case 0: device.inject(.init(.write(after: after)))
                case 1: device.inject(.init(.flush(after: after % 4)))
                default: fs.allocationsBeforeInjectedFailure = after
                }
                var failed = false
                do {
                    try fs.punchHole(id, at: 100_000, length: 300_000)
                    _ = try fs.createSymlink(Array("s".utf8), in: 1, target: [UInt8](repeating: 0x42, count: 9000), uid: 0, gid: 0)
                    try fs.truncate(id, to: 70_000)
                    try fs.sync()
                } catch {
                    failed = true
                }
                device.inject(nil)
                fs.allocationsBeforeInjectedFailure = nil
                guard failed else { continue }
                try Self.expectMatchesDisk(fs, device.memory.bytes)
                if fs.hasFailed {
                    stopped += 1
                    #expect(throws: FileSystemError.self) { try fs.truncate(id, to: 0) }
                } else {
                    undone += 1
                    try fs.sync()
                    try Self.expectMatchesDisk(fs, device.memory.bytes)
                }
            }
        }
        #expect(stopped > 0 && undone > 0)
    }

    /// The reserve: ordinary allocations stop short of it, `availableBlocks` leaves it out, and
    /// freeing operations may use it.
    @Test func reserveIsKeptForFreeing() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 2048))
        let reserve = fs.reserveBlocks
        #expect(reserve == FileSystem.reserveBlocks(forBlocks: 2048) && reserve >= 64)
        let id = try fs.create(Array("big".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        var offset: UInt64 = 0
        while (try? fs.write(id, at: offset, [UInt8](repeating: 0x5A, count: 4096))) != nil { offset += 4096 << 5 }
        let (_, free) = try fs.statistics()
        #expect(free >= reserve, "ordinary writes reached the reserve")
        #expect(try fs.availableBlocks() == free - reserve)
        try fs.punchHole(id, at: 0, length: 4096 << 5)
        try fs.truncate(id, to: 4096)
        try fs.unlink(Array("big".utf8), in: 1)
        try fs.sync()
        #expect(try fs.spaceReport().isClean)
    }

    /// An image made by upstream, filled by the engine, is emptied to its initial free count.
    @Test func upstreamImageFilledAndEmptied() throws {
        let path = try Fixtures.copy("mkfs-empty")
        let fs = try FileSystem(path: path, readOnly: false)
        defer { fs.close() }
        try fs.cleanup()
        let initial = try fs.statistics().freeBlocks
        fs.commitThresholdBytes = 1
        var names: [String] = []
        for i in 0..<100_000 {
            let name = "fill-\(i)"
            guard let id = try? fs.create(Array(name.utf8), in: 1, mode: 0o100644, uid: 0, gid: 0) else { break }
            names.append(name)
            if (try? fs.write(id, at: 0, [UInt8](repeating: UInt8(i % 200 + 1), count: 1 << 20))) == nil { break }
        }
        #expect(try fs.availableBlocks() < 300, "the image should be full")
        for name in names { try fs.unlink(Array(name.utf8), in: 1) }
        try fs.cleanup()
        #expect(try fs.statistics().freeBlocks == initial)
        #expect(try fs.spaceReport().isClean)
    }

    /// Closing twice is harmless; reading after closing is a clear error.
    @Test func closedFileSystemRefusesCalls() throws {
        let path = try Fixtures.copy("mkfs-empty")
        let fs = try FileSystem(path: path)
        fs.close()
        fs.close()
        #expect(throws: FileSystemError.self) { try fs.entries(of: 1) }
    }
}
