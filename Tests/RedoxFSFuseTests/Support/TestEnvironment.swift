import Foundation
import XCTest

/// Where the tests find the mount binary, the helper scripts and scratch space, and whether this
/// machine can mount at all.
enum TestEnvironment {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Tests/RedoxFSFuseTests/Scripts.
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts")

    static func script(_ name: String) -> String { scripts.appendingPathComponent(name).path }

    /// The folder of the built products the tests run from (.build/<triple>/debug): the folder
    /// of the running test executable.
    static var productsFolder: URL {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? ProcessInfo.processInfo.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }

    /// The `redoxfs` binary under test: `REDOXFS_MOUNT_BINARY` when set (scripts/test.sh points
    /// it at a release build: the 100,000-operation exerciser needs its speed), else the build
    /// next to the tests.
    static let mountBinary: String = {
        if let override = ProcessInfo.processInfo.environment["REDOXFS_MOUNT_BINARY"], !override.isEmpty {
            return override
        }
        let beside = productsFolder.appendingPathComponent("redoxfs").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/redoxfs").path
    }()

    /// Whether the binary under test is an optimised build.
    static var isReleaseBinary: Bool { mountBinary.contains("/release/") }

    /// Skips the test unless FUSE mounts work here (root, /dev/fuse, fusermount3, mount, python3,
    /// the mount binary). Under CI (`CI=true`) a test that cannot run fails instead: CI must not
    /// pass without mounting.
    static func requireFuse() throws {
        guard getuid() == 0 else { throw unavailable("FUSE mount tests run as root") }
        guard FileManager.default.fileExists(atPath: "/dev/fuse") else { throw unavailable("no /dev/fuse") }
        guard which("fusermount3") != nil else { throw unavailable("fusermount3 is not installed (package fuse3)") }
        guard which("mount") != nil else { throw unavailable("mount is not installed") }
        guard which("python3") != nil else { throw unavailable("python3 is not installed") }
        guard FileManager.default.isExecutableFile(atPath: mountBinary) else {
            throw unavailable("redoxfs is not built (\(mountBinary))")
        }
    }

    /// Whether the tests run under CI, where nothing may be skipped.
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Why a FUSE test cannot run: a skip, or under CI an error that fails it.
    static func unavailable(_ reason: String) -> Error {
        isCI ? FuseUnavailable(reason: reason) : XCTSkip(reason)
    }
}

/// A FUSE test that cannot run under CI (`CI=true`): it fails rather than skips.
struct FuseUnavailable: Error, CustomStringConvertible {
    var reason: String
    var description: String { "FUSE test cannot run under CI=true: \(reason)" }
}

extension TestEnvironment {

    static func which(_ program: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A fresh scratch folder in memory when possible (image fsyncs cost nothing there, so the
    /// tests measure the mount, not the disk), removed by `ScratchFolder.remove`.
    static func makeScratchFolder(_ label: String) throws -> ScratchFolder {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("redoxfs-fuse-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return ScratchFolder(url: url)
    }
}

/// A temporary folder for one test.
struct ScratchFolder {
    let url: URL

    var path: String { url.path }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Makes and returns the subfolder `name`.
    func folder(_ name: String) throws -> String {
        let folder = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
