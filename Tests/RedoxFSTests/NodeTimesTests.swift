@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// The engine keeps times as POSIX defines them: every operation, with a clock that moves one
/// second per call, leaves exactly the expected ctime, mtime and atime on the node and on the
/// directories involved.
@Suite struct NodeTimesTests {
    /// A clock that the test sets.
    final class Clock: @unchecked Sendable {
        var seconds: UInt64 = 1000
        var now: Timestamp { Timestamp(seconds: seconds, nanoseconds: 0) }
    }

    struct Observed: Equatable, CustomStringConvertible {
        var atime: UInt64, mtime: UInt64, ctime: UInt64
        var description: String { "a\(atime) m\(mtime) c\(ctime)" }
    }

    static func times(_ fs: FileSystem, _ id: UInt32) throws -> Observed {
        let node = try fs.node(id)
        return Observed(atime: node.atime, mtime: node.mtime, ctime: node.ctime)
    }

    @Test func operationsMoveTheRightTimes() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        let clock = Clock()
        fs.clock = { clock.now }
        @discardableResult
        func at<T>(_ seconds: UInt64, _ body: () throws -> T) rethrows -> T {
            clock.seconds = seconds
            return try body()
        }
        var dir: UInt32 = 0, other: UInt32 = 0, file: UInt32 = 0
        try at(1000) {
            dir = try fs.create(Array("dir".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
            other = try fs.create(Array("other".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        }
        try at(1010) { file = try fs.create(Array("f".utf8), in: dir, mode: 0o100644, uid: 0, gid: 0) }
        #expect(try Self.times(fs, file) == Observed(atime: 1010, mtime: 1010, ctime: 1010), "create")
        #expect(try Self.times(fs, dir) == Observed(atime: 1000, mtime: 1010, ctime: 1010), "create: the directory")

        try at(1020) { try fs.write(file, at: 0, [1, 2, 3]) }
        #expect(try Self.times(fs, file) == Observed(atime: 1010, mtime: 1020, ctime: 1020), "write")
        #expect(try Self.times(fs, dir).mtime == 1010, "write leaves the directory")

        try at(1030) { try fs.setAttributes(file, AttributeChanges(permissions: 0o600)) }
        #expect(try Self.times(fs, file) == Observed(atime: 1010, mtime: 1020, ctime: 1030), "chmod")
        try at(1040) { try fs.setAttributes(file, AttributeChanges(uid: 5, gid: 6)) }
        #expect(try Self.times(fs, file).ctime == 1040, "chown")
        try at(1050) {
            try fs.setAttributes(file, AttributeChanges(accessTime: Timestamp(seconds: 7, nanoseconds: 0), modificationTime: Timestamp(seconds: 8, nanoseconds: 0)))
        }
        #expect(try Self.times(fs, file) == Observed(atime: 7, mtime: 8, ctime: 1050), "utimens")
        try at(1060) { try fs.truncate(file, to: 3) }
        #expect(try Self.times(fs, file) == Observed(atime: 7, mtime: 8, ctime: 1050), "truncate to the same size changes nothing")
        try at(1070) { try fs.truncate(file, to: 100) }
        #expect(try Self.times(fs, file) == Observed(atime: 7, mtime: 1070, ctime: 1070), "truncate")
        try at(1075) { try fs.setAttributes(file, AttributeChanges(changeTime: Timestamp(seconds: 9, nanoseconds: 0))) }
        #expect(try Self.times(fs, file).ctime == 9, "an explicit ctime")

        try at(1080) { try fs.link(file, as: Array("g".utf8), in: other) }
        #expect(try Self.times(fs, file).ctime == 1080, "link: the node")
        #expect(try Self.times(fs, other) == Observed(atime: 1000, mtime: 1080, ctime: 1080), "link: the directory")
        try at(1090) { try fs.unlink(Array("g".utf8), in: other) }
        #expect(try Self.times(fs, file) == Observed(atime: 7, mtime: 1070, ctime: 1090), "unlink: the remaining node")
        #expect(try Self.times(fs, other) == Observed(atime: 1000, mtime: 1090, ctime: 1090), "unlink: the directory")

        try at(1100) { try fs.rename(Array("f".utf8), in: dir, to: Array("moved".utf8), in: other) }
        #expect(try Self.times(fs, file) == Observed(atime: 7, mtime: 1070, ctime: 1100), "rename: the node")
        #expect(try Self.times(fs, dir).mtime == 1100 && Self.times(fs, dir).ctime == 1100, "rename: the source directory")
        #expect(try Self.times(fs, other).mtime == 1100 && Self.times(fs, other).ctime == 1100, "rename: the target directory")

        try at(1110) { try fs.removeDirectory(Array("dir".utf8), in: 1) }
        #expect(try Self.times(fs, 1).mtime == 1110 && Self.times(fs, 1).ctime == 1110, "rmdir: the parent")
        let fifo = try at(1120) { try fs.createSpecial(Array("fifo".utf8), in: other, kind: .fifo, permissions: 0o644, uid: 0, gid: 0) }
        #expect(try Self.times(fs, fifo) == Observed(atime: 1120, mtime: 1120, ctime: 1120), "mknod")
        #expect(try Self.times(fs, other).mtime == 1120, "mknod: the directory")
        try fs.sync()
        try SpaceInvariant.check(fs)
    }

    @Test func readsMoveAtimeAsThePolicySays() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        let clock = Clock()
        fs.clock = { clock.now }
        let file = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)  // all times 1000
        clock.seconds = 2000
        try fs.recordAccess(file, policy: .never)
        #expect(try fs.node(file).atime == 1000, "noatime")
        try fs.recordAccess(file, policy: .relative)
        #expect(try fs.node(file).atime == 2000, "relatime: atime was not after mtime")
        clock.seconds = 3000
        try fs.recordAccess(file, policy: .relative)
        #expect(try fs.node(file).atime == 2000, "relatime: atime is after mtime and ctime, and recent")
        try fs.recordAccess(file, policy: .strict)
        #expect(try fs.node(file).atime == 3000, "strictatime")
        clock.seconds = 3000 + 24 * 3600
        try fs.recordAccess(file, policy: .relative)
        #expect(try fs.node(file).atime == 3000 + 24 * 3600, "relatime: a day later")
        #expect(try fs.node(file).ctime == 1000 && fs.node(file).mtime == 1000, "reads move neither ctime nor mtime")
    }

    /// A change that leaves every field as it is (the kernel's writeback cache flushing times that
    /// did not move: its explicit ctime equal to the node's) writes nothing; without an explicit
    /// ctime the same values still move ctime (POSIX: chmod to the same mode is a change).
    @Test func unchangedAttributesWriteNothing() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        let clock = Clock()
        fs.clock = { clock.now }
        let file = try fs.create(Array("f".utf8), in: 1, mode: 0o100644, uid: 3, gid: 4)
        try fs.commit()
        #expect(!fs.hasUncommittedChanges)
        let node = try fs.node(file)
        let ctime = Timestamp(seconds: node.ctime, nanoseconds: node.ctimeNanoseconds)
        let mtime = Timestamp(seconds: node.mtime, nanoseconds: node.mtimeNanoseconds)
        clock.seconds += 5

        let same = AttributeChanges(permissions: 0o644, uid: 3, gid: 4, modificationTime: mtime, changeTime: ctime)
        #expect(same.leavesUnchanged(node))
        #expect(try fs.setAttributes(file, same) == node)
        #expect(!fs.hasUncommittedChanges, "nothing to write")

        // Any field that differs, a size, or no explicit ctime: a change.
        #expect(!AttributeChanges(modificationTime: mtime).leavesUnchanged(node))
        #expect(!AttributeChanges(size: node.size, changeTime: ctime).leavesUnchanged(node))
        #expect(!AttributeChanges(permissions: 0o600, changeTime: ctime).leavesUnchanged(node))
        #expect(!AttributeChanges(uid: 9, changeTime: ctime).leavesUnchanged(node))
        #expect(!AttributeChanges(changeTime: Timestamp(seconds: ctime.seconds, nanoseconds: ctime.nanoseconds + 1)).leavesUnchanged(node))
        #expect(!AttributeChanges(accessTime: Timestamp(seconds: 1, nanoseconds: 0), changeTime: ctime).leavesUnchanged(node))

        try fs.setAttributes(file, AttributeChanges(permissions: 0o644))
        #expect(fs.hasUncommittedChanges)
        #expect(try fs.node(file).ctime == clock.seconds, "chmod to the same mode moves ctime")
    }
}
