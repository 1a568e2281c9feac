import Foundation
import Glibc
import RedoxFSTestSupport
import XCTest

/// Who checks permissions: the kernel (`default_permissions`) on every mount that users other
/// than root can reach, and on a mount made by root without `allow_other` only when asked: there
/// the checks would refuse nothing root may do, and each create or unlink made the kernel fetch
/// the directory's attributes again (a GETATTR) before the next path walk.
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

    static func requests(_ opcode: String, in mounted: MountedImage) -> Int {
        mounted.log.components(separatedBy: "opcode: \(opcode) (").count - 1
    }

    /// Creates and then unlinks `count` files in one directory of `mounted`.
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

    func testRootMountWithoutAllowOtherLeavesChecksToRoot() throws {
        try XCTSkipUnless(geteuid() == 0, "only a mount made by root leaves out the kernel's checks")
        let image = try TestImages.make(try folder.path("root.img"), megabytes: 32)
        let mounted = try mount(image, at: "mnt", arguments: ["--debug"])
        XCTAssertFalse(Self.kernelOptions(of: mounted.mountpoint).contains("default_permissions"))
        let count = 40
        Self.churn(mounted, count: count)
        // With the kernel's checks: a GETATTR of the directory before each create and unlink
        // after the first (about 2 × count).
        let refreshes = Self.requests("GETATTR", in: mounted)
        print("GETATTR requests for \(count) creates and \(count) unlinks: \(refreshes)")
        XCTAssertLessThan(refreshes, count / 2)

        // What root may do, the daemon and the kernel still decide alike.
        let file = mounted.mountpoint + "/plain", locked = mounted.mountpoint + "/locked"
        let closedFolder = mounted.mountpoint + "/closed"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("#!/bin/sh\nexit 0\n".utf8)))
        XCTAssertEqual(chmod(file, 0o644), 0)
        XCTAssertTrue(FileManager.default.createFile(atPath: locked, contents: Data("secret".utf8)))
        XCTAssertEqual(chmod(locked, 0), 0)
        XCTAssertEqual(mkdir(closedFolder, 0), 0)
        XCTAssertEqual(access(file, R_OK | W_OK), 0)
        XCTAssertEqual(access(file, X_OK), -1, "a file without an execute bit")
        XCTAssertEqual(errno, EACCES)
        XCTAssertEqual(access(locked, R_OK | W_OK), 0, "root reads and writes a mode-0 file")
        XCTAssertEqual(access(closedFolder, R_OK | W_OK | X_OK), 0, "root searches a mode-0 directory")
        XCTAssertEqual(try String(contentsOfFile: locked, encoding: .utf8), "secret")
        let refused = Process()
        refused.executableURL = URL(fileURLWithPath: file)
        XCTAssertThrowsError(try refused.run(), "executing a file without an execute bit")
        XCTAssertEqual(chmod(file, 0o744), 0)
        XCTAssertEqual(access(file, X_OK), 0)
        let allowed = Process()
        allowed.executableURL = URL(fileURLWithPath: file)
        try allowed.run()
        allowed.waitUntilExit()
        XCTAssertEqual(allowed.terminationStatus, 0)
        try mounted.unmount()
    }

    func testAskedForOrSharedMountsKeepTheKernelsChecks() throws {
        let image = try TestImages.make(try folder.path("asked.img"), megabytes: 32)
        let asked = try mount(image, at: "asked", arguments: ["--debug", "-o", "default_permissions"])
        XCTAssertTrue(Self.kernelOptions(of: asked.mountpoint).contains("default_permissions"))
        let count = 20
        Self.churn(asked, count: count)
        XCTAssertGreaterThanOrEqual(Self.requests("GETATTR", in: asked), count, "the kernel's checks refresh the directory")
        try asked.unmount()

        let shared = try mount(image, at: "shared", arguments: ["-o", "allow_other"])
        let options = Self.kernelOptions(of: shared.mountpoint)
        XCTAssertTrue(options.contains("allow_other"))
        XCTAssertTrue(options.contains("default_permissions"), "other users reach it: \(options)")
        try shared.unmount()
    }
}
