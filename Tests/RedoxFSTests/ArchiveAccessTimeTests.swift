import Foundation
import Glibc
@testable import RedoxFS
import RedoxFSTools
import Testing

/// `redoxfs-ar` reads and lists its source without moving the source's access times
/// (`O_NOATIME`, where the host allows it; ar copies atimes into the image).
@Suite struct ArchiveAccessTimeTests {
    /// 2001-01-01, older than the mtimes set below: under `relatime` the first read or listing
    /// would move such an atime to now.
    static let oldAccessTime = 978_307_200

    static func setTimes(_ path: String) throws {
        var times = [timespec(tv_sec: oldAccessTime, tv_nsec: 0), timespec(tv_sec: oldAccessTime + 86_400 * 400, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0)
    }

    static func accessTime(_ path: String) -> Int {
        var status = stat()
        guard lstat(path, &status) == 0 else { return -1 }
        return status.st_atim.tv_sec
    }

    @Test(arguments: [true, false])
    func archivingLeavesSourceAccessTimes(usePlan: Bool) throws {
        let folder = ArchiveToolTests.scratch("atime")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let root = folder + "/tree"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        let paths = [root + "/small", root + "/sub/large", root + "/sub", root]
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: paths[0]))
        try Data(repeating: 9, count: 300_000).write(to: URL(fileURLWithPath: paths[1]))
        for path in paths { try Self.setTimes(path) }

        var scanner = HostTreeScanner()
        let plan = try scanner.plan(root)
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 16 << 8))
        let archiver = Archiver(fileSystem: fs)
        try archiver.archive(root, plan: usePlan ? plan : nil)
        try fs.sync()
        #expect(try fs.read(fs.lookup("/sub/large"), at: 0, count: 300_000) == [UInt8](repeating: 9, count: 300_000))
        for path in paths {
            #expect(Self.accessTime(path) == Self.oldAccessTime, "\(path)'s atime moved")
        }
        // The image got the source's atimes as they were.
        #expect(try fs.node(fs.lookup("/sub/large")).atime == UInt64(Self.oldAccessTime))
    }
}
