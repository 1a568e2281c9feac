import Foundation
import Testing
@testable import Installer

/// Installing onto a real block device: a loop device over an image file (root only; skipped
/// where loop devices cannot be attached).
@Suite(.serialized) struct BlockDeviceTests {
    @Test func deviceWithPartitionsNeedsForce() throws {
        guard getuid() == 0, FileManager.default.fileExists(atPath: "/dev/loop-control") else { return }
        let folder = try Scratch.folder("loop")
        let backing = folder + "/backing.img"
        _ = FileManager.default.createFile(atPath: backing, contents: nil)
        try FileHandle(forWritingTo: URL(fileURLWithPath: backing)).truncate(atOffset: 48 << 20)
        let attach = try Scratch.runHost("/usr/sbin/losetup", ["-f", "--show", backing])
        guard attach.status == 0 else { return }
        let device = attach.out.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Scratch.runHost("/usr/sbin/losetup", ["-d", device]) }

        let config = try Scratch.write("[general]\nprompt = false\n[[files]]\npath = \"/etc/hostname\"\ndata = \"loop\"\n", folder, "c.toml")
        let first = try Scratch.run("redox-installer", ["-c", config, device])
        #expect(first.status == 0, "\(first.err)")
        let listed = try Scratch.run("redox-installer", ["--list-disks"])
        #expect(listed.out.contains(device) && listed.out.contains("gpt"), "\(listed.out)")
        let again = try Scratch.run("redox-installer", ["-c", config, device])
        #expect(again.status == 1 && again.err.contains("holds 3 partitions") && again.err.contains("--force"))
        let forced = try Scratch.run("redox-installer", ["-c", config, "--force", device])
        #expect(forced.status == 0, "\(forced.err)")
        let fsck = try Scratch.run("redoxfs-fsck", ["-n", "-f", "--offset", "2097152", backing])
        #expect(fsck.status == 0, "\(fsck.out)")
    }
}
