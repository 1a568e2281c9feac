import Foundation
import RedoxFS
import XCTest

/// Mounting and unmounting every way a user does it, encrypted images, partitions, and the
/// POSIX behaviour checks.
final class LifecycleTests: MountTestCase {
    /// SIGTERM and SIGINT unmount cleanly after a final commit; so does `umount`.
    func testSignalsAndUmountCommitAndExit() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("signals.img"), megabytes: 64)
        for (index, signal) in [SIGTERM, SIGINT].enumerated() {
            let mounted = try mount(image, at: "mnt-\(index)", arguments: ["--commit-interval", "0"])
            try CommandRunner.check(["/bin/sh", "-c", "echo signal-\(signal) > '\(mounted.mountpoint)/file-\(signal)'"])
            try mounted.stop(signal: signal)
            try TestImages.assertClean(image)
        }
        let mounted = try mount(image, at: "mnt-umount", arguments: ["--commit-interval", "0"])
        XCTAssertEqual(try CommandRunner.check(["cat", mounted.mountpoint + "/file-\(SIGTERM)"]), "signal-\(SIGTERM)\n")
        try CommandRunner.check(["/bin/sh", "-c", "echo umount > '\(mounted.mountpoint)/file-umount'"])
        try CommandRunner.check(["umount", mounted.mountpoint])
        try mounted.unmount()  // only waits for the daemon's exit now
        let manifest = try TestImages.dump(image)
        XCTAssertEqual(Set(manifest.entries.map(\.path)), ["/", "/file-\(SIGTERM)", "/file-\(SIGINT)", "/file-umount"])
        try TestImages.assertClean(image)
    }

    /// Without -f the command returns 0 once the file system is mounted and serves it from the
    /// background; a mount that cannot work returns 1.
    func testBackgroundDaemonAndMountHelper() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("background.img"), megabytes: 64)
        let mountpoint = try folder.folder("mnt-background")
        try CommandRunner.check([TestEnvironment.mountBinary, image, mountpoint])
        XCTAssertTrue(MountedImage.isMountpoint(mountpoint))
        try CommandRunner.check(["/bin/sh", "-c", "echo background > '\(mountpoint)/file'"])
        try CommandRunner.check(["fusermount3", "-u", mountpoint])
        try waitForNoDaemon(image)
        let failed = try CommandRunner.run([TestEnvironment.mountBinary, folder.path("missing.img"), mountpoint])
        XCTAssertEqual(failed.status, 1, failed.transcript)
        XCTAssertFalse(MountedImage.isMountpoint(mountpoint))

        // mount(8) through mount.fuse3: type "fuse" with "PROGRAM#SOURCE" (any path), the form an
        // /etc/fstab line can use as well; `-t fuse.redoxfs` needs redoxfs on the standard PATH.
        try CommandRunner.check(["mount", "-t", "fuse", "\(TestEnvironment.mountBinary)#\(image)", mountpoint, "-o", "allow_other,nofail"])
        XCTAssertEqual(try CommandRunner.check(["cat", mountpoint + "/file"]), "background\n")
        try CommandRunner.check(["umount", mountpoint])
        try waitForNoDaemon(image)

        // An fstab line (given to mount with -T instead of /etc/fstab), with our own options in it.
        let fstab = folder.path("fstab")
        try "\(TestEnvironment.mountBinary)#\(image) \(mountpoint) fuse defaults,ro,commit_interval=1,nofail 0 0\n"
            .write(toFile: fstab, atomically: true, encoding: .utf8)
        try CommandRunner.check(["mount", "-T", fstab, mountpoint])
        XCTAssertEqual(try CommandRunner.check(["cat", mountpoint + "/file"]), "background\n")
        XCTAssertNotEqual(try CommandRunner.run(["touch", mountpoint + "/other"]).status, 0, "mounted read-only")
        try CommandRunner.check(["umount", mountpoint])
        try waitForNoDaemon(image)
        try TestImages.assertClean(image)
    }

    /// POSIX behaviour, from ordinary processes (one of them running as uid 1000).
    func testPOSIXSemantics() throws {
        try runPOSIXSuite(image: "semantics.img", options: "allow_other")
    }

    /// Runs `semantics.py` on a fresh image mounted with `-o options`, then checks it clean.
    private func runPOSIXSuite(image name: String, options: String) throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path(name), megabytes: 256)
        let mounted = try mount(image, arguments: ["-o", options])
        let report = try CommandRunner.python("semantics.py", [mounted.mountpoint], timeout: 900)
        print(report.split(separator: "\n").last ?? "")
        try mounted.unmount()
        try TestImages.assertClean(image)
    }

    /// The same POSIX suite through our own request loop (`-o loop=leader`, opt-in): requests
    /// handed from thread to thread keep the same answers, and the image checks clean.
    func testPOSIXSemanticsUnderTheLeaderLoop() throws {
        try runPOSIXSuite(image: "semantics-leader.img", options: "allow_other,loop=leader")
    }

    /// Encrypted images: the password on standard input or from a file; writes survive a remount;
    /// a wrong password fails the mount with status 1.
    func testEncryptedImage() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("encrypted.img"), megabytes: 64, password: "s3cret words")
        let passwordFile = folder.path("password")
        try "s3cret words\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        var mounted = try mount(image, password: "s3cret words")
        try CommandRunner.check(["cp", "-a", TestEnvironment.scripts.path, mounted.mountpoint + "/scripts"])
        try mounted.unmount()
        mounted = try mount(image, arguments: ["-o", "ro,password_file=\(passwordFile)"])
        try CommandRunner.check(["diff", "-r", TestEnvironment.scripts.path, mounted.mountpoint + "/scripts"])
        try mounted.unmount()
        try TestImages.assertClean(image, password: "s3cret words")
        XCTAssertThrowsError(try mount(image, at: "mnt-wrong", password: "wrong"))
    }

    /// One partition of a GPT disk, by number, by file-system uuid and by partition uuid; the
    /// other partition's bytes are never touched.
    func testGPTPartition() throws {
        let disk = try makeDisk(bytes: 96 << 20, patterned: (1 << 20)..<(9 << 20))
        let partitionUUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        try CommandRunner.python("gpt.py", [disk, "1:8:other:11111111-2222-3333-4444-555555555555", "16:64:redoxfs:\(partitionUUID)"])
        let uuid = try TestImages.format(disk, offset: 16 << 20, length: 64 << 20)

        var mounted = try mount(disk, arguments: ["--partition", "2"])
        try CommandRunner.check(["/bin/sh", "-c", "echo partition > '\(mounted.mountpoint)/file'"])
        try mounted.unmount()
        for arguments in [["-o", "uuid=\(uuid)"], ["--uuid", partitionUUID.uppercased()]] {
            mounted = try mount(disk, at: "mnt-\(arguments[1].prefix(8))", arguments: arguments)
            XCTAssertEqual(try CommandRunner.check(["cat", mounted.mountpoint + "/file"]), "partition\n")
            try mounted.unmount()
        }
        let other = try FileHandle(forReadingFrom: URL(fileURLWithPath: disk))
        try other.seek(toOffset: 1 << 20)
        let bytes = try other.read(upToCount: 8 << 20) ?? Data()
        try other.close()
        XCTAssertTrue(bytes.allSatisfy { $0 == 0xA5 }, "partition 1 was written to")
        try TestImages.assertClean(disk, offset: 16 << 20, length: 64 << 20)
        XCTAssertThrowsError(try mount(disk, at: "mnt-none", arguments: ["--partition", "3"]))

        // The same disk as a block device (a loop device, where the machine offers them).
        let attach = try CommandRunner.run(["losetup", "--find", "--show", disk])
        let loop = attach.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard attach.status == 0, loop.hasPrefix("/dev/loop") else { return }
        defer { _ = try? CommandRunner.run(["losetup", "-d", loop]) }
        mounted = try mount(loop, at: "mnt-loop", arguments: ["--partition", "2"])
        XCTAssertEqual(try CommandRunner.check(["cat", mounted.mountpoint + "/file"]), "partition\n")
        try CommandRunner.check(["/bin/sh", "-c", "echo block device > '\(mounted.mountpoint)/file2'"])
        try mounted.unmount()
        try TestImages.assertClean(disk, offset: 16 << 20, length: 64 << 20)
    }

    /// A file system larger than its partition: the mount refuses it, naming the partition and
    /// both sizes, and writes nothing.
    func testGPTPartitionSmallerThanItsFileSystem() throws {
        let disk = try makeDisk(bytes: 32 << 20)
        try CommandRunner.python("gpt.py", [disk, "1:8:redoxfs:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"])
        _ = try TestImages.format(disk, offset: 1 << 20, length: 16 << 20)
        let before = try Data(contentsOf: URL(fileURLWithPath: disk))
        XCTAssertThrowsError(try mount(disk, arguments: ["--partition", "1"])) { error in
            let wanted = "disk.img (partition 1): the file system (\(16 << 20) bytes) is larger than the partition "
                + "(\(8 << 20) bytes): fix the partition table, or redoxfs-fsck -y shrinks it to fit"
            XCTAssertTrue("\(error)".contains(wanted), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: disk)), before)
    }

    /// A zero-filled `disk.img` of `bytes` in the test's folder, with 0xA5 bytes over `patterned`
    /// (bytes a test then checks were never touched); returns its path.
    private func makeDisk(bytes: UInt64, patterned: Range<Int>? = nil) throws -> String {
        let disk = try folder.path("disk.img")
        _ = FileManager.default.createFile(atPath: disk, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: disk))
        try handle.truncate(atOffset: bytes)
        if let patterned {
            try handle.seek(toOffset: UInt64(patterned.lowerBound))
            handle.write(Data(repeating: 0xA5, count: patterned.count))
        }
        try handle.close()
        return disk
    }

    /// Waits until no process serves `image` any more (the background daemon's final commit).
    private func waitForNoDaemon(_ image: String, timeout: TimeInterval = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let serving = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.contains { entry in
                guard Int(entry) != nil,
                      let command = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8) else { return false }
                return command.contains("redoxfs") && command.contains(image)
            } ?? false
            // A dying daemon's cmdline empties before its descriptors close: wait for its write
            // lock on the image (FileDevice.lockForWriting) to go too.
            if !serving && !Self.writeLocked(image) { return }
            usleep(50_000)
        }
        XCTFail("the background daemon for \(image) did not exit")
    }

    /// Whether some descriptor holds a write lock on the first block of `path` (F_OFD_GETLK).
    static func writeLocked(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return FileDevice.isLockedForWriting(descriptor: descriptor, byteOffset: 0)
    }
}
