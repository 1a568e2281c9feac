import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Installer
import RedoxFS
import RedoxFSTestSupport
import Testing

/// What the write_bootloader file may be besides a regular file: a pipe whose reader has gone is
/// a write error (EPIPE, not a silent death by SIGPIPE), a FIFO with no reader is refused at
/// once (not waited for), and what holds no file system (a pipe, a FIFO) is not locked; the
/// output is the same file as the write_bootloader file when one inode or one block device is
/// reached. A failure leaves no new image behind.
@Suite struct WriteBootloaderFileTests {
    /// A configuration of a 40 MiB image whose UEFI loader is `EFI-LOADER`, in `folder`.
    static func configurationFile(in folder: String) throws -> String {
        try Scratch.write("""
            [general]
            filesystem_size = 40
            [[files]]
            path = "/usr/lib/boot/bootloader.efi"
            data = "EFI-LOADER"
            """, folder, "config.toml")
    }

    /// `--write-bootloader /dev/stdout` with standard output a pipe whose reader is gone (as
    /// `--write-bootloader >(true)` once `true` has exited): the installer reports the broken
    /// pipe and exits 1, the new image removed.
    @Test func aPipeWithoutReaderIsAWriteError() throws {
        let folder = try Scratch.folder("bootloader-broken-pipe")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Self.configurationFile(in: folder), output = folder + "/new.img"
        let ends = try Scratch.closeOnExecPipe()
        close(ends[0])
        let broken = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        let process = Process()
        // Under timeout, as the FIFO test: a hang is a failure, never a stuck test run.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = [
            "-k", "5", "120", Fixtures.tool("redox-installer"), "-c", config, "--no-progress", "--write-bootloader", "/dev/stdout", output,
        ]
        process.standardOutput = broken
        let errors = Pipe()
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try broken.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "ended by \(process.terminationReason) \(process.terminationStatus)")
        #expect(message == "redox-installer: /dev/stdout: write failed: \(String(cString: strerror(EPIPE)))\n", "\(message)")
        #expect(access(output, F_OK) != 0, "the new image was left behind")
    }

    /// A FIFO with no reader as the write_bootloader file is refused at once, the new image
    /// removed (before, the installer waited in open() forever, its image made).
    @Test func aFIFOWithoutReaderIsRefused() throws {
        let folder = try Scratch.folder("bootloader-fifo")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Self.configurationFile(in: folder), output = folder + "/new.img", fifo = folder + "/fifo"
        try #require(mkfifo(fifo, 0o644) == 0)
        let run = try ToolRun.run(
            "/usr/bin/timeout", ["-k", "5", "120", Fixtures.tool("redox-installer"), "-c", config, "--no-progress", "--write-bootloader", fifo, output])
        #expect(run.exitStatus == 1, "\(run.output)")
        #expect(run.output == "redox-installer: \(fifo): a FIFO (named pipe) with no reader; start what reads it first\n", "\(run.output)")
        #expect(access(output, F_OK) != 0, "the new image was left behind")
    }

    /// A FIFO holds no file system: a write lock on it (another installer writing its loader
    /// there) does not refuse an installation that writes its loader there too. The FIFO is the
    /// test's own (a lock on /dev/null would be one on the whole machine's); its holder has it
    /// open for reading and writing, so it has a reader and takes the loader.
    @Test func aFIFOIsNotLocked() throws {
        let folder = try Scratch.folder("bootloader-fifo-lock")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/fifo"
        try #require(mkfifo(fifo, 0o644) == 0)
        let holder = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        try #require(holder >= 0)
        defer { close(holder) }
        try FileDevice.lockWholeFileForWriting(descriptor: holder, path: fifo, operation: "replace")
        var configuration = Configuration()
        configuration.general.filesystemSize = 40
        configuration.general.writeBootloader = fifo
        configuration.files = [FileEntry(path: "/usr/lib/boot/bootloader.efi", data: "EFI-LOADER")]
        var options = InstallOptions(configuration: configuration, output: folder + "/disk.img")
        options.skipPackages = true
        options.showProgress = false
        try Installer(options: options).install()
        var received = [UInt8](repeating: 0, count: 64)
        let count = read(holder, &received, received.count)
        #expect(count >= 0 && String(decoding: received.prefix(max(count, 0)), as: UTF8.self) == "EFI-LOADER")
    }

    /// One file: one inode whatever the names, or two nodes of one block device (the same
    /// st_rdev, another inode); two character devices with one number are not one disk.
    @Test func sameFileComparesInodesAndBlockDevices() {
        func status(_ type: mode_t, device: UInt64, inode: UInt64, rdev: UInt64 = 0) -> stat {
            var info = stat()
            info.st_mode = type | 0o644
            info.st_dev = __dev_t(device)
            info.st_ino = __ino_t(inode)
            info.st_rdev = __dev_t(rdev)
            return info
        }
        #expect(HostFiles.sameFile(status(S_IFREG, device: 1, inode: 7), status(S_IFREG, device: 1, inode: 7)))
        #expect(!HostFiles.sameFile(status(S_IFREG, device: 1, inode: 7), status(S_IFREG, device: 2, inode: 7)))
        #expect(HostFiles.sameFile(status(S_IFBLK, device: 5, inode: 10, rdev: 0x700), status(S_IFBLK, device: 6, inode: 11, rdev: 0x700)))
        #expect(!HostFiles.sameFile(status(S_IFBLK, device: 5, inode: 10, rdev: 0x700), status(S_IFBLK, device: 5, inode: 11, rdev: 0x701)))
        #expect(!HostFiles.sameFile(status(S_IFCHR, device: 5, inode: 10, rdev: 0x103), status(S_IFCHR, device: 5, inode: 11, rdev: 0x103)))
    }
}
