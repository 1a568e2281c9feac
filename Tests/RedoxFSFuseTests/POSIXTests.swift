import Foundation
import RedoxFS
import RedoxFSTestSupport
import XCTest

/// POSIX behaviour through the mount: our POSIX suite (`Scripts/posix`, per system call as
/// pjdfstest is), change and directory times seen through `stat`, atime per mount option, and
/// FIFOs, sockets and device nodes carried from a host tree through `redoxfs-ar`, the mount and
/// `redoxfs-extract`.
final class POSIXTests: MountTestCase {
    /// The suite passes as root on a mount with `allow_other,default_permissions`.
    func testPOSIXSuitePasses() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("posix.img"), megabytes: 256)
        let mounted = try mount(image, arguments: ["-o", "allow_other,default_permissions"])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        let report = try CommandRunner.run(
            ["python3", TestEnvironment.script("posix/posixsuite.py"), mounted.mountpoint], timeout: 1800)
        print(report.output.split(separator: "\n").suffix(16).joined(separator: "\n"))
        XCTAssertEqual(report.status, 0, "failed cases:\n" + report.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }.joined(separator: "\n") + report.error)
        XCTAssertTrue(report.output.contains("cases passed"), report.transcript)
        try mounted.unmount()
        try TestImages.assertClean(image)
    }

    /// `touch`, `chmod`, `mv`, `ln` and `rm` move ctime of the node and mtime and ctime of the
    /// directory as POSIX says, and only those; the times survive a remount.
    func testChangeAndDirectoryTimesThroughStat() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("times.img"), megabytes: 64)
        var mounted = try mount(image)
        let dir = mounted.mountpoint + "/dir"
        try CommandRunner.check(["mkdir", dir])
        try CommandRunner.check(["touch", dir + "/a"])

        func step(_ command: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (dir: Times, a: Times?) {
            let before = (dir: try Times(dir), a: try? Times(dir + "/a"))
            usleep(30_000)  // the next change gets a later time
            try CommandRunner.check(command, file: file, line: line)
            return before
        }

        // A new entry: the directory's mtime and ctime move; the other file's don't.
        var before = try step(["touch", dir + "/b"])
        var now = try Times(dir)
        XCTAssertGreaterThan(now.mtime, before.dir.mtime, "touch of a new name moves the directory's mtime")
        XCTAssertGreaterThan(now.ctime, before.dir.ctime, "… and its ctime")
        XCTAssertEqual(try Times(dir + "/a"), before.a, "another entry's times stay")

        // chmod: the file's ctime only.
        before = try step(["chmod", "600", dir + "/a"])
        var a = try Times(dir + "/a")
        XCTAssertGreaterThan(a.ctime, before.a!.ctime, "chmod moves ctime")
        XCTAssertEqual(a.mtime, before.a!.mtime, "chmod keeps mtime")
        XCTAssertEqual(try Times(dir), before.dir, "chmod of an entry leaves the directory alone")

        // touch of an existing file: its mtime and ctime, not the directory's.
        before = try step(["touch", dir + "/a"])
        a = try Times(dir + "/a")
        XCTAssertGreaterThan(a.mtime, before.a!.mtime, "touch moves mtime")
        XCTAssertGreaterThan(a.ctime, before.a!.ctime, "touch moves ctime")
        XCTAssertEqual(try Times(dir), before.dir, "touch of an existing entry leaves the directory alone")

        // A hard link: the file's ctime and the directory's times.
        before = try step(["ln", dir + "/a", dir + "/a2"])
        now = try Times(dir)
        XCTAssertGreaterThan(try Times(dir + "/a").ctime, before.a!.ctime, "link moves the file's ctime")
        XCTAssertGreaterThan(now.mtime, before.dir.mtime, "link moves the directory's mtime")

        // rm: the directory's times, and ctime of the node that keeps another name.
        before = try step(["rm", dir + "/a2"])
        now = try Times(dir)
        XCTAssertGreaterThan(now.mtime, before.dir.mtime, "rm moves the directory's mtime")
        XCTAssertGreaterThan(now.ctime, before.dir.ctime, "rm moves the directory's ctime")
        XCTAssertGreaterThan(try Times(dir + "/a").ctime, before.a!.ctime, "losing a link moves ctime")

        // mv into another directory: both directories and the moved node's ctime.
        try CommandRunner.check(["mkdir", mounted.mountpoint + "/other"])
        let otherBefore = try Times(mounted.mountpoint + "/other")
        before = try step(["mv", dir + "/a", mounted.mountpoint + "/other/a"])
        let moved = try Times(mounted.mountpoint + "/other/a")
        XCTAssertGreaterThan(moved.ctime, before.a!.ctime, "rename moves the node's ctime")
        XCTAssertEqual(moved.mtime, before.a!.mtime, "rename keeps the node's mtime")
        XCTAssertGreaterThan(try Times(dir).mtime, before.dir.mtime, "rename moves the source directory's mtime")
        XCTAssertGreaterThan(try Times(mounted.mountpoint + "/other").mtime, otherBefore.mtime, "… and the target's")

        let final = (dir: try Times(dir), moved: try Times(mounted.mountpoint + "/other/a"))
        try mounted.unmount()
        try TestImages.assertClean(image)
        mounted = try mount(image)
        XCTAssertEqual(try Times(dir), final.dir, "the times survive a remount")
        XCTAssertEqual(try Times(mounted.mountpoint + "/other/a"), final.moved)
        try mounted.unmount()
    }

    /// Reads move atime as the mount option says: relatime (the default) when atime is not later
    /// than mtime, strictatime always, noatime never; a read-only mount never writes.
    func testAccessTimeOptions() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("atime.img"), megabytes: 64)
        let old = Timestamp(seconds: 1_000_000_000, nanoseconds: 0)
        let recent = Timestamp(seconds: UInt64(Date().timeIntervalSince1970) - 60, nanoseconds: 0)
        try prepare(image) { fs in
            for name in ["stale", "fresh"] {
                let id = try fs.create(Array(name.utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
                try fs.write(id, at: 0, Array("content of \(name)\n".utf8))
                // stale: atime before mtime; fresh: atime after mtime and recent.
                try fs.setAttributes(id, AttributeChanges(
                    accessTime: name == "stale" ? old : recent, modificationTime: name == "stale" ? recent : old,
                    changeTime: old))
            }
        }
        let cases: [(options: [String], stale: Bool, fresh: Bool)] = [
            ([], true, false),
            (["-o", "relatime"], true, false),
            (["-o", "strictatime"], true, true),
            (["-o", "noatime"], false, false),
            (["-o", "ro"], false, false),
        ]
        for (index, item) in cases.enumerated() {
            let copy = folder.path("atime-\(index).img")
            try FileManager.default.copyItem(atPath: image, toPath: copy)
            let mounted = try mount(copy, at: "mnt-\(index)", arguments: item.options)
            let before = (stale: try Times(mounted.mountpoint + "/stale"), fresh: try Times(mounted.mountpoint + "/fresh"))
            try CommandRunner.check(["cat", mounted.mountpoint + "/stale", mounted.mountpoint + "/fresh"])
            let after = (stale: try Times(mounted.mountpoint + "/stale"), fresh: try Times(mounted.mountpoint + "/fresh"))
            XCTAssertEqual(after.stale.atime > before.stale.atime, item.stale, "\(item.options): atime of a file read after a change")
            XCTAssertEqual(after.fresh.atime > before.fresh.atime, item.fresh, "\(item.options): atime of a file read before")
            XCTAssertEqual(after.stale.ctime, before.stale.ctime, "\(item.options): a read never moves ctime")
            try mounted.unmount()
        }
    }

    /// A host tree with a FIFO, a socket, character and block devices (one hard-linked), beside a
    /// file, a directory and a symlink, goes through `redoxfs-ar`, is seen and changed through the
    /// mount (types, modes, owners, device numbers, times, listing), and comes back out through
    /// `redoxfs-extract` as it went in; `redoxfs-dump` shows the types and device numbers.
    func testSpecialFilesRoundTripArMountExtract() throws {
        let folder = try self.folder
        let source = try folder.folder("src")
        let build = """
            set -e
            cd "$1"
            mkdir dir
            echo content > dir/file
            ln -s dir/file link
            mkfifo -m 0640 fifo
            python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind("socket")'
            chmod 0751 socket
            mknod -m 0620 tty c 4 66
            mknod -m 0660 disk b 8 17
            mknod -m 0600 dir/big b 4095 1048575
            ln tty dir/tty-link
            chown 1234:5678 fifo disk
            chown -h 42:43 link
            touch -h -d '2001-02-03 04:05:06.123456789' fifo socket tty disk dir/big link
            """
        try CommandRunner.check(["/bin/sh", "-c", build, "build", source])
        let image = folder.path("special.img")
        try CommandRunner.check([Fixtures.tool("redoxfs-ar"), "--size", "64MiB", "-q", image, source])
        try TestImages.assertClean(image)
        let dump = try CommandRunner.check([Fixtures.tool("redoxfs-dump"), image])
        for expected in ["/fifo\tp\t0640", "/socket\ts\t0751", "/tty\tc\t0620", "/disk\tb\t0660"] {
            XCTAssertTrue(dump.contains(expected), "dump lacks \(expected):\n\(dump)")
        }
        XCTAssertTrue(dump.contains("\t4,66\n") && dump.contains("\t8,17\n") && dump.contains("\t4095,1048575\n"), dump)
        // ar keeps the host's ctime, also of directories it filled and of nodes it linked twice.
        let archived = try FileSystem(path: image, readOnly: true)
        for path in ["dir", "tty", "dir/tty-link", "fifo", "socket", "disk", "link"] {
            let node = try archived.node(archived.lookup("/" + path))
            let host = try Times(source + "/" + path)
            XCTAssertEqual(Int(node.ctime) * 1_000_000_000 + Int(node.ctimeNanoseconds), host.ctime, "\(path): ctime")
            XCTAssertEqual(Int(node.mtime) * 1_000_000_000 + Int(node.mtimeNanoseconds), host.mtime, "\(path): mtime")
        }
        archived.close()

        var mounted = try mount(image, arguments: ["-o", "allow_other,default_permissions"])
        XCTAssertEqual(try listing(mounted.mountpoint), try listing(source), "the mount shows the host tree")
        let types = try CommandRunner.check(["find", mounted.mountpoint, "-mindepth", "1", "-maxdepth", "1", "-printf", "%f %y\n"])
        XCTAssertEqual(Set(types.split(separator: "\n")), ["dir d", "link l", "fifo p", "socket s", "tty c", "disk b"], "readdir types")
        // Changes through the mount: new special nodes, a rename, a link, a removal.
        let changes = """
            set -e
            cd "$1"
            mkfifo -m 0604 new-fifo
            mknod -m 0640 new-char c 10 200
            mv disk dir/disk-moved
            ln fifo dir/fifo-link
            rm dir/tty-link
            touch -h -d '2002-03-04 05:06:07.5' new-fifo new-char
            """
        try CommandRunner.check(["/bin/sh", "-c", changes, "changes", mounted.mountpoint])
        try CommandRunner.check(["/bin/sh", "-c", changes, "changes", source])
        // Directories changed at different moments on the two sides: their mtimes differ.
        XCTAssertEqual(try listing(mounted.mountpoint, directoryTimes: false), try listing(source, directoryTimes: false),
                       "changes through the mount match the host's")
        try mounted.unmount()
        try TestImages.assertClean(image)

        let extracted = folder.path("out")
        try CommandRunner.check([Fixtures.tool("redoxfs-extract"), image, extracted])
        XCTAssertEqual(try listing(extracted, directoryTimes: false), try listing(source, directoryTimes: false),
                       "redoxfs-extract recreates the tree")

        // And once more from the image, after a remount, the nodes still work: the FIFO passes data.
        mounted = try mount(image)
        let pipe = "read line < '\(mounted.mountpoint)/fifo' & echo through > '\(mounted.mountpoint)/fifo'; wait"
        try CommandRunner.check(["/bin/sh", "-c", pipe])
        try mounted.unmount()
    }

    // MARK: Helpers

    /// Runs `body` on the image opened with the engine, then closes it cleanly.
    private func prepare(_ image: String, _ body: (FileSystem) throws -> Void) throws {
        let fs = try FileSystem(path: image, readOnly: false)
        try body(fs)
        try fs.unmount()
    }

    /// Every path below `root` (not "/" itself) with type, mode, owner, link count (non-directories),
    /// device number, size of files and links, mtime; sorted.
    private func listing(_ root: String, directoryTimes: Bool = true) throws -> [String] {
        let text = try CommandRunner.check([
            "find", root, "-mindepth", "1", "-printf", "%P|%y|%m|%U:%G|%T@|%s|%l\n",
        ])
        var lines: [String] = []
        for line in text.split(separator: "\n") {
            var fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let path = root + "/" + fields[0]
            if fields[1] == "d" || fields[1] == "p" || fields[1] == "s" || fields[1] == "c" || fields[1] == "b" {
                fields[5] = "-"  // sizes of directories and special files are the file system's own
            }
            if fields[1] == "d" && !directoryTimes { fields[4] = "-" }
            if fields[1] != "d" {
                fields.append(String(try CommandRunner.check(["stat", "-c", "%h %t,%T", path]).dropLast()))
            }
            lines.append(fields.joined(separator: "|"))
        }
        return lines.sorted()
    }
}

/// atime, mtime and ctime of a path (not following symlinks), in nanoseconds.
struct Times: Equatable {
    var atime: Int
    var mtime: Int
    var ctime: Int

    init(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw MountedImage.Failure(description: "lstat \(path): errno \(errno)") }
        atime = info.st_atim.tv_sec * 1_000_000_000 + info.st_atim.tv_nsec
        mtime = info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec
        ctime = info.st_ctim.tv_sec * 1_000_000_000 + info.st_ctim.tv_nsec
    }
}
