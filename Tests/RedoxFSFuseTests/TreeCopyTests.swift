import Foundation
import XCTest

/// A generated tree copied into the mount with `cp -a` comes back identical — contents, modes,
/// owners, nanosecond times, symlinks and hard links — through the live mount, after a fresh
/// mount, and through a read-only mount; the image checks clean.
final class TreeCopyTests: MountTestCase {
    func testCopyTreeSurvivesRemount() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("tree.img"), megabytes: 512)
        let source = try folder.folder("src")
        try CommandRunner.python("treegen.py", [source, "--big"])

        var mounted = try mount(image)
        let copy = mounted.mountpoint + "/copy"
        try CommandRunner.check(["cp", "-a", source, copy], timeout: 600)
        try CommandRunner.check(["diff", "-r", "--no-dereference", source, copy])
        try CommandRunner.python("treecompare.py", [source, copy])
        try mounted.unmount()
        try TestImages.assertClean(image)

        mounted = try mount(image)
        try CommandRunner.check(["diff", "-r", "--no-dereference", source, copy])
        try CommandRunner.python("treecompare.py", [source, copy])
        try mounted.unmount()

        mounted = try mount(image, arguments: ["-o", "ro"])
        try CommandRunner.python("treecompare.py", [source, copy])
        let write = try CommandRunner.run(["touch", copy + "/new-file"])
        XCTAssertNotEqual(write.status, 0)
        XCTAssertTrue(write.error.contains("Read-only file system"), write.transcript)
        try mounted.unmount()
        try TestImages.assertClean(image)
    }

    /// Changes made through the mount (rename, delete, truncate, append, chmod, chown, touch -d)
    /// land in the image exactly as on a host file system given the same changes.
    func testChangesMatchHostFileSystem() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("changes.img"), megabytes: 256)
        let source = try folder.folder("src")
        try CommandRunner.python("treegen.py", [source])
        let mounted = try mount(image)
        let copy = mounted.mountpoint + "/tree"
        try CommandRunner.check(["cp", "-a", source, copy], timeout: 600)
        let changes = """
            set -e
            cd "$1"
            mv many/d03 many/d03-renamed
            mv sizes/size-4097.bin many/moved.bin
            rm -r many/d05 links/rel-dir
            rm links/hard-b
            truncate -s 100 sizes/size-131073.bin
            truncate -s 2000000 text/compressible.txt
            printf 'appended' >> sizes/size-4095.bin
            head -c 7000 text/compressible.txt | dd of=sizes/size-300000.bin bs=1000 seek=10 conv=notrunc status=none
            chmod 0640 sizes/size-1.bin
            chown 321:654 sizes/size-100.bin
            ln sizes/size-1.bin links/new-hard
            ln -s ../sizes/size-100.bin links/new-link
            mkdir -p newdir/sub && echo new > newdir/sub/file
            touch -h -d '2001-02-03 04:05:06.123456789' links/new-link newdir/sub/file sizes
            """
        let before = try FileManager.default.attributesOfItem(atPath: copy + "/sizes/size-4095.bin")[.modificationDate] as? Date
        for root in [source, copy] {
            try CommandRunner.check(["/bin/sh", "-c", changes, "changes", root])
        }
        // Times of changed entries are "now" on each side; unchanged ones must still match.
        try CommandRunner.check(["diff", "-r", "--no-dereference", source, copy])
        try CommandRunner.python("treecompare.py", [source, copy, "--no-times"])
        let after = try FileManager.default.attributesOfItem(atPath: copy + "/sizes/size-4095.bin")[.modificationDate] as? Date
        XCTAssertGreaterThan(after ?? .distantPast, before ?? .distantFuture, "appending moves mtime forward")
        let touched = try CommandRunner.check(["env", "TZ=UTC", "stat", "-c", "%y", copy + "/newdir/sub/file"])
        XCTAssertEqual(touched.trimmingCharacters(in: .whitespacesAndNewlines), "2001-02-03 04:05:06.123456789 +0000")
        try mounted.unmount()
        try TestImages.assertClean(image)
        let remounted = try mount(image)
        try CommandRunner.python("treecompare.py", [source, copy, "--no-times"])
        XCTAssertEqual(try CommandRunner.check(["env", "TZ=UTC", "stat", "-c", "%y", copy + "/newdir/sub/file"]), touched)
        try remounted.unmount()
    }
}
