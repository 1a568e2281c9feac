import Foundation
import Glibc
import RedoxFS
@testable import RedoxFSFuse
import RedoxFSTestSupport
import XCTest

/// Who checks permissions: the kernel (`default_permissions`) unless a mount made by root for
/// root alone asks otherwise (`-o no_default_permissions`); then each create and unlink costs
/// no GETATTR of the directory (the kernel's checks fetch its attributes again after every
/// change of an entry), and the daemon answers ACCESS as the kernel would for root.
final class PermissionChecksTests: MountTestCase {
    /// The options the kernel shows for the mount at `mountpoint` (/proc/self/mounts).
    static func kernelOptions(of mountpoint: String) -> [String] {
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 3, fields[1] == mountpoint { return fields[3].split(separator: ",").map(String.init) }
        }
        return []
    }

    /// How many `opcode` requests the daemon's `--debug` log shows.
    static func requests(_ opcode: String, in mounted: MountedImage) -> Int {
        mounted.log.components(separatedBy: "opcode: \(opcode) (").count - 1
    }

    /// Creates and then unlinks `count` files in a new directory of `mounted`.
    static func churn(_ mounted: MountedImage, count: Int) {
        let folder = mounted.mountpoint + "/d"
        XCTAssertEqual(mkdir(folder, 0o755), 0)
        for index in 0..<count {
            let descriptor = open(folder + "/f\(index)", O_CREAT | O_WRONLY, 0o644)
            XCTAssertGreaterThanOrEqual(descriptor, 0)
            XCTAssertEqual(write(descriptor, "x", 1), 1)
            XCTAssertEqual(close(descriptor), 0)
        }
        for index in 0..<count { XCTAssertEqual(unlink(folder + "/f\(index)"), 0, "unlink f\(index)") }
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: folder))?.count, 0)
    }

    /// `access(path, mask)`, with the errno of a refusal (0 when allowed).
    static func accessError(_ path: String, _ mask: Int32) -> Int32 {
        access(path, mask) == 0 ? 0 : errno
    }

    func testTheKernelChecksByDefault() throws {
        let image = try TestImages.make(try folder.path("default.img"), megabytes: 32)
        let mounted = try mount(image, at: "mnt", arguments: ["--debug"])
        XCTAssertTrue(Self.kernelOptions(of: mounted.mountpoint).contains("default_permissions"))
        let count = 20
        Self.churn(mounted, count: count)
        XCTAssertGreaterThanOrEqual(Self.requests("GETATTR", in: mounted), count, "the kernel's checks refresh the directory")
        try mounted.unmount()
    }

    func testWithoutTheKernelsChecksRootKeepsRootsRights() throws {
        try XCTSkipUnless(getuid() == 0 && geteuid() == 0, "no_default_permissions is for mounts made by root")
        let image = try TestImages.make(try folder.path("root.img"), megabytes: 32)
        let mounted = try mount(image, at: "mnt", arguments: ["--debug", "-o", "no_default_permissions"])
        XCTAssertFalse(Self.kernelOptions(of: mounted.mountpoint).contains("default_permissions"))
        let count = 40
        Self.churn(mounted, count: count)
        // With the kernel's checks: a GETATTR of the directory before each create and unlink
        // after the first (about 2 × count).
        let refreshes = Self.requests("GETATTR", in: mounted)
        print("GETATTR requests for \(count) creates and \(count) unlinks: \(refreshes)")
        XCTAssertLessThan(refreshes, count / 2)

        // What root may do, the daemon (ACCESS) and the kernel (exec) decide as with the checks.
        let script = mounted.mountpoint + "/script", locked = mounted.mountpoint + "/locked"
        let closedFolder = mounted.mountpoint + "/closed"
        XCTAssertTrue(FileManager.default.createFile(atPath: script, contents: Data("#!/bin/sh\nexit 7\n".utf8)))
        XCTAssertEqual(chmod(script, 0o644), 0)
        XCTAssertTrue(FileManager.default.createFile(atPath: locked, contents: Data("secret".utf8)))
        XCTAssertEqual(chmod(locked, 0), 0)
        XCTAssertEqual(mkdir(closedFolder, 0), 0)
        XCTAssertEqual(Self.accessError(script, F_OK), 0)
        XCTAssertEqual(Self.accessError(mounted.mountpoint + "/missing", F_OK), ENOENT)
        XCTAssertEqual(Self.accessError(script, R_OK | W_OK), 0)
        XCTAssertEqual(Self.accessError(script, X_OK), EACCES, "a file without an execute bit")
        XCTAssertEqual(Self.accessError(locked, R_OK | W_OK), 0, "root reads and writes a mode-0 file")
        XCTAssertEqual(Self.accessError(closedFolder, R_OK | W_OK | X_OK), 0, "root searches a mode-0 directory")
        XCTAssertEqual(try String(contentsOfFile: locked, encoding: .utf8), "secret")
        // `exec` in a shell calls execve without asking access(2) first: the kernel's own check.
        let refused = try ToolRun.run("/bin/sh", ["-c", "exec \"$0\"", script])
        XCTAssertEqual(refused.exitStatus, 126, "executing a file without an execute bit: \(refused.output)")
        XCTAssertEqual(chmod(script, 0o744), 0)
        XCTAssertEqual(Self.accessError(script, X_OK), 0)
        XCTAssertEqual(try ToolRun.run("/bin/sh", ["-c", "exec \"$0\"", script]).exitStatus, 7)
        try mounted.unmount()
    }

    func testLeavingTheChecksOutNeedsAMountForRootAlone() throws {
        let image = try TestImages.make(try folder.path("shared.img"), megabytes: 32)
        let mountpoint = try folder.folder("shared")
        for shared in ["allow_other", "allow_root"] {
            // Not in the foreground: a mount that went through would return 0 (and be unmounted
            // by the teardown), not serve for ever.
            let run = try ToolRun.run(TestEnvironment.mountBinary, ["-o", "no_default_permissions,\(shared)", image, mountpoint])
            if run.exitStatus == 0 { _ = try? ToolRun.run("/bin/umount", [mountpoint]) }
            XCTAssertTrue(run.failedCleanly, "\(shared): \(run.output)")
            XCTAssertTrue(run.output.contains("no_default_permissions cannot be combined with \(shared)"), run.output)
        }
        XCTAssertTrue(Self.kernelOptions(of: mountpoint).isEmpty, "nothing mounted")
    }

    func testOnlyRootWithRealAndEffectiveIDsMayLeaveTheChecksOut() throws {
        var configuration = MountConfiguration(source: .path("disk.img"), mountpoint: "/mnt")
        XCTAssertNil(MountDaemon.permissionCheckProblem(configuration, realUser: 1000, effectiveUser: 1000))
        configuration.kernelChecksPermissions = false
        XCTAssertNil(MountDaemon.permissionCheckProblem(configuration, realUser: 0, effectiveUser: 0))
        XCTAssertNotNil(MountDaemon.permissionCheckProblem(configuration, realUser: 1000, effectiveUser: 0), "set-user-id root")
        XCTAssertNotNil(MountDaemon.permissionCheckProblem(configuration, realUser: 0, effectiveUser: 1000))
        configuration.fuseOptions = ["nosuid", "allow_root"]
        XCTAssertNotNil(MountDaemon.permissionCheckProblem(configuration, realUser: 0, effectiveUser: 0))
        let parsed = try MountCommandLine.parse(["-o", "no_default_permissions", "disk.img", "/mnt"])
        XCTAssertFalse(parsed.kernelChecksPermissions)
        XCTAssertFalse(parsed.fuseOptions.contains("no_default_permissions"))
        XCTAssertTrue(try MountCommandLine.parse(["-o", "no_default_permissions,default_permissions", "disk.img", "/mnt"]).kernelChecksPermissions)
    }

    func testAccessAnswersAsTheKernelWould() {
        func node(_ mode: UInt16, uid: UInt32 = 1000, gid: UInt32 = 100) -> Node {
            var node = Node()
            node.mode = mode
            node.uid = uid
            node.gid = gid
            return node
        }
        let file = node(NodeKind.file.rawValue | 0o640), folder = node(NodeKind.directory.rawValue | 0o000)
        let fifo = node(NodeKind.fifo.rawValue | 0o644), script = node(NodeKind.file.rawValue | 0o001)
        // Root: read and write anything, search any directory, execute what has an execute bit.
        XCTAssertTrue(FuseBridge.allows(R_OK | W_OK, on: folder, uid: 0, gid: 0))
        XCTAssertTrue(FuseBridge.allows(X_OK, on: folder, uid: 0, gid: 0))
        XCTAssertFalse(FuseBridge.allows(X_OK, on: file, uid: 0, gid: 0))
        XCTAssertFalse(FuseBridge.allows(X_OK, on: fifo, uid: 0, gid: 0))
        XCTAssertTrue(FuseBridge.allows(X_OK, on: script, uid: 0, gid: 0))
        XCTAssertTrue(FuseBridge.allows(F_OK, on: folder, uid: 5, gid: 5))
        // Others: the owner's bits, else the group's, else everyone's (the owner's win).
        XCTAssertTrue(FuseBridge.allows(R_OK | W_OK, on: file, uid: 1000, gid: 7))
        XCTAssertFalse(FuseBridge.allows(X_OK, on: file, uid: 1000, gid: 7))
        XCTAssertTrue(FuseBridge.allows(R_OK, on: file, uid: 5, gid: 100))
        XCTAssertFalse(FuseBridge.allows(W_OK, on: file, uid: 5, gid: 100))
        XCTAssertFalse(FuseBridge.allows(R_OK, on: file, uid: 5, gid: 5))
        XCTAssertTrue(FuseBridge.allows(X_OK, on: script, uid: 5, gid: 5))
        XCTAssertFalse(FuseBridge.allows(X_OK, on: script, uid: 1000, gid: 100), "the owner's bits decide for the owner")
    }
}
