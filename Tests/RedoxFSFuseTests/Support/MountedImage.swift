import Foundation
import RedoxFSTestSupport
import XCTest

/// A RedoxFS image mounted by the `redoxfs` binary under test, running in the foreground (`-f`)
/// as a child process, so the test can wait for it, signal it or kill it.
final class MountedImage {
    /// Failures of the mount process itself.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let image: String
    let mountpoint: String
    let process: Process
    let logURL: URL
    private(set) var isMounted = true

    /// Mounts `image` at `mountpoint` with extra command-line `arguments`; `password` is written
    /// to the process's standard input; `environment` adds variables to the daemon's environment;
    /// `launcher` is a command that execs the mount command after it (such as `nohup`).
    init(
        image: String, mountpoint: String, arguments: [String] = [], password: String? = nil,
        environment: [String: String] = [:], launcher: [String] = [], timeout: TimeInterval = 120
    ) throws {
        self.image = image
        self.mountpoint = mountpoint
        logURL = URL(fileURLWithPath: mountpoint + ".log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process = Process()
        let command = launcher + [TestEnvironment.mountBinary, "-f"] + arguments + [image, mountpoint]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = log
        process.standardError = log
        let input = Pipe()
        process.standardInput = input
        try process.run()
        try? log.close()
        if let password { input.fileHandleForWriting.write(Data((password + "\n").utf8)) }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while !Self.isMountpoint(mountpoint) {
            if !process.isRunning {
                isMounted = false
                throw Failure(description: "redoxfs exited with status \(process.terminationStatus) before mounting:\n\(self.log)")
            }
            if Date() > deadline {
                process.terminate()
                isMounted = false
                throw Failure(description: "redoxfs did not mount within \(Int(timeout)) s:\n\(self.log)")
            }
            usleep(20_000)
        }
    }

    /// What the daemon printed.
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Whether a fuse.redoxfs file system is mounted at `path` (from /proc/self/mountinfo).
    static func isMountpoint(_ path: String) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        let escaped = path.replacingOccurrences(of: " ", with: "\\040")
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 5, fields[4] == escaped else { continue }
            if line.contains(" - fuse.redoxfs ") { return true }
        }
        return false
    }

    /// Unmounts with `fusermount3 -u` (unless something else unmounted it already) and waits for
    /// the daemon's final commit and exit; fails unless it exits 0.
    func unmount(timeout: TimeInterval = 180) throws {
        guard isMounted else { return }
        guard Self.isMountpoint(mountpoint) else { return try waitForExit(timeout: timeout) }
        let result = try CommandRunner.run(["fusermount3", "-u", mountpoint], timeout: 60)
        guard result.status == 0 else {
            forceUnmount()
            throw Failure(description: "fusermount3 -u failed: \(result.transcript)")
        }
        try waitForExit(timeout: timeout)
    }

    /// Sends `signal` to the daemon (SIGTERM, SIGINT) and waits for it to unmount and exit.
    func stop(signal: Int32, timeout: TimeInterval = 180) throws {
        guard isMounted else { return }
        kill(process.processIdentifier, signal)
        try waitForExit(timeout: timeout)
        if Self.isMountpoint(mountpoint) {
            forceUnmount()
            throw Failure(description: "the daemon exited on signal \(signal) but left the mount behind")
        }
    }

    /// The number of the mount's FUSE connection (the minor number of its device, as
    /// /proc/self/mountinfo lists it), or nil when it is not mounted.
    var connection: String? {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        let escaped = mountpoint.replacingOccurrences(of: " ", with: "\\040")
        // The last line for the path is the mount on top (a dead one may lie beneath it).
        var found: String?
        for line in table.split(separator: "\n") where line.contains(" - fuse.redoxfs ") {
            let fields = line.split(separator: " ")
            guard fields.count > 5, fields[4] == escaped, let minor = fields[2].split(separator: ":").last else { continue }
            found = String(minor)
        }
        return found
    }

    /// Aborts the mount's FUSE connection (`/sys/fs/fuse/connections/N/abort`; fusectl is mounted
    /// there first when it is not): every request waiting for the daemon ends with an error and
    /// the pages they held locked are released. The last resort of a hang guard: a daemon thread
    /// waiting in the kernel for such a page cannot even be killed, nor can a reader whose
    /// FLUSH is not answered.
    func abortConnection() {
        guard let connection else { return }
        let folder = "/sys/fs/fuse/connections"
        var mountedHere = false
        if !FileManager.default.fileExists(atPath: "\(folder)/\(connection)") {
            mountedHere = (try? CommandRunner.run(["mount", "-t", "fusectl", "fusectl", folder], timeout: 30))?.status == 0
        }
        // fusectl is left as it was found (mounted here: unmounted again, lazily).
        defer { if mountedHere { _ = try? CommandRunner.run(["umount", "-l", folder], timeout: 30) } }
        let descriptor = open("\(folder)/\(connection)/abort", O_WRONLY)
        guard descriptor >= 0 else { return }
        _ = write(descriptor, "1", 1)
        close(descriptor)
    }

    /// Kills the daemon with SIGKILL (no final commit). The dead mount stays attached (every
    /// access fails with ENOTCONN) until `detach()`, so nobody writes into the folder beneath.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Removes a mount whose daemon is gone.
    func detach() {
        _ = try? CommandRunner.run(["fusermount3", "-u", "-z", mountpoint], timeout: 30)
        isMounted = false
    }

    private func waitForExit(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                forceUnmount()
                throw Failure(description: "redoxfs did not exit within \(Int(timeout)) s after unmounting:\n\(log)")
            }
            usleep(20_000)
        }
        isMounted = false
        guard process.terminationStatus == 0 else {
            throw Failure(description: "redoxfs exited with status \(process.terminationStatus):\n\(log)")
        }
    }

    /// Last resort for teardown: abort the mount's connection (a daemon thread stuck in the kernel
    /// could not even die), kill the daemon and detach the mount lazily.
    func forceUnmount() {
        if process.isRunning {
            abortConnection()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        _ = try? CommandRunner.run(["fusermount3", "-u", "-z", mountpoint], timeout: 30)
        isMounted = false
    }
}

/// A test case that owns a scratch folder and mounts, and always cleans both up, so that a
/// failing test never leaves a hung mount behind.
class MountTestCase: XCTestCase {
    private(set) var scratch: ScratchFolder?
    private var mounts: [MountedImage] = []
    private var diskFolders: [String] = []

    /// A fresh folder on a disk file system (`Fixtures.directReadFolder`, else /var/tmp), removed
    /// in `tearDown`: for images whose reads must be able to wait for the disk (the scratch
    /// folder is on tmpfs, whose pages are always cached).
    func makeDiskFolder(_ prefix: String) throws -> String {
        let path = "\(Fixtures.directReadFolder ?? "/var/tmp")/\(prefix)-\(UUID().uuidString.prefix(8))"
        guard mkdir(path, 0o755) == 0 else {
            throw Fixtures.FixtureError.commandFailed("mkdir \(path): \(String(cString: strerror(errno)))")
        }
        diskFolders.append(path)
        return path
    }

    override func setUpWithError() throws {
        try TestEnvironment.requireFuse()
        scratch = try TestEnvironment.makeScratchFolder(String(describing: type(of: self)))
    }

    override func tearDown() {
        for mount in mounts where mount.isMounted {
            do {
                try mount.unmount(timeout: 120)
            } catch {
                mount.forceUnmount()
            }
        }
        mounts.removeAll()
        if let scratch { Self.removeLeftovers(under: scratch.path) }
        scratch?.remove()
        for folder in diskFolders { try? FileManager.default.removeItem(atPath: folder) }
        diskFolders.removeAll()
        super.tearDown()
    }

    /// Detaches any mount under `folder` and kills any process working there (a daemon or a
    /// helper script; both can only come from this test, which failed half-way).
    static func removeLeftovers(under folder: String) {
        if let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) {
            for line in table.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count > 4, fields[4].hasPrefix(folder) {
                    _ = try? CommandRunner.run(["fusermount3", "-u", "-z", String(fields[4])], timeout: 30)
                }
            }
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != getpid(),
                  let command = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
                  command.contains(folder) else { continue }
            kill(pid, SIGKILL)
        }
    }

    /// The scratch folder (set up by `setUpWithError`).
    var folder: ScratchFolder {
        get throws {
            guard let scratch else { throw MountedImage.Failure(description: "no scratch folder") }
            return scratch
        }
    }

    /// Mounts `image` on a fresh mountpoint `name` in the scratch folder.
    func mount(
        _ image: String, at name: String = "mnt", arguments: [String] = [], password: String? = nil, environment: [String: String] = [:],
        launcher: [String] = []
    ) throws -> MountedImage {
        let mountpoint = try folder.folder(name)
        let mounted = try MountedImage(
            image: image, mountpoint: mountpoint, arguments: arguments, password: password, environment: environment,
            launcher: launcher)
        mounts.append(mounted)
        return mounted
    }
}

extension MountTestCase {
    /// Drops `path` (an image not in use, or synced) from the page cache, so that its reads are
    /// cold (`PageCacheDrop.drop`: again while a page stays); whether all of its pages went
    /// (never on tmpfs, whose pages are the file).
    @discardableResult
    func dropFromPageCache(_ path: String) -> Bool {
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
        return PageCacheDrop.drop(path)
    }
}
