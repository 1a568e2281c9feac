import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSTestSupport
import RedoxFSTools
import Testing

/// The tools and the image write lock outside `FileDevice.open`: a tool that grows an image
/// (`redoxfs-resize` to a size past its end, `--size` of mkfs and ar) takes the lock first, so a
/// file system another process is writing is neither grown nor cut; a tool that replaces the
/// whole file (mkfs, ar) is refused while any file system in it, at any offset, has a writer;
/// `redoxfs-fsck -n`, which takes no lock, warns when a writer holds it. A tool that grows the
/// file keeps the lock it took for that in the device it then opens (no moment in which a mount
/// could start between the two), and a refusal names the image once.
@Suite(.enabled(if: try WriteLockSupport.available(under: "/var/tmp"), "open-file-description locks refused under /var/tmp"))
struct ImageLockToolTests {
    static let inUse = "another redoxfs mount or tool is writing"
    /// The message of a refused whole-file lock (a tool that replaces the file).
    static let wholeFileInUse = "a redoxfs mount or tool is writing a file system in it"

    /// A 16 MiB image under /var/tmp with an empty file system.
    static func formattedImage() throws -> String {
        let path = try FileDeviceWriteLockTests.makeFile(megabytes: 16)
        let fs = try FileSystem.format(device: try FileDevice.open(path: path, readOnly: false))
        try fs.unmount()
        // Before a test takes a lock on it, or looks for one.
        WriteLockSupport.waitUntilUnlocked(path)
        return path
    }

    static func size(_ path: String) -> Int64 {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_size) : -1
    }

    /// Runs `tool` while this process holds the write lock on the first block of `path`: it must
    /// fail with the in-use message, naming `path` once, and leave the file's size as it was.
    @discardableResult
    static func expectRefusedWhileBusy(
        _ tool: String, _ arguments: [String], image path: String, message: String = inUse
    ) throws -> (status: Int32, output: String, error: String) {
        let before = size(path)
        let writer = try FileDevice.open(path: path, readOnly: false)
        let result = try ArchiveToolTests.run(tool, arguments)
        writer.close()
        WriteLockSupport.waitUntilUnlocked(path)
        #expect(result.status != 0, "\(tool) ran on a busy image: \(result.output)")
        #expect(result.error.contains(message), "\(result.error)")
        #expect(result.error.components(separatedBy: path).count == 2, "the image named once: \(result.error)")
        #expect(size(path) == before, "\(tool) resized a busy image")
        return result
    }

    /// Whether another open file description (another mount or tool) holds the write lock on
    /// the block at `byteOffset` of `path`.
    static func lockedForWriting(_ path: String, byteOffset: UInt64 = 0) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return FileDevice.isLockedForWriting(descriptor: fd, byteOffset: byteOffset)
    }

    /// `DiskFile.grow` (redoxfs-resize past the end) returns the device it grew under the lock:
    /// the lock is held from the growth until that device closes, and the file system opens on it.
    @Test func growHandsItsLockToTheDevice() throws {
        let path = try Self.formattedImage()
        defer { unlink(path) }
        let device = try DiskFile.grow(path, to: 32 << 20, byteOffset: 0)
        // Closed here until the file system takes the device over.
        var deviceOwned = true
        defer { if deviceOwned { device.close() } }
        #expect(Self.size(path) == 32 << 20)
        #expect(device.blockCount == (32 << 20) / 4096, "the device sees the grown file")
        #expect(Self.lockedForWriting(path), "the lock was let go after the growth")
        #expect(throws: FileSystemError.self, "a mount starting now is refused") {
            try FileDevice.open(path: path, readOnly: false)
        }
        let fs = try FileSystem(device: device, writable: true)
        deviceOwned = false
        var mounted = true
        defer { if mounted { fs.close() } }
        try fs.resize(to: (32 << 20) - fs.startBlock * 4096)
        try fs.unmount()
        mounted = false
        #expect(WriteLockSupport.waitUntilUnlocked(path), "the lock went with the file system")
    }

    /// `DiskFile.prepare` with a size (mkfs, ar, clone --size) likewise, on the whole file.
    @Test func prepareHandsItsWholeFileLockToTheDevice() throws {
        let path = try FileDeviceWriteLockTests.makeFile(megabytes: 16)
        defer { unlink(path) }
        let device = try DiskFile.prepare(path, size: 32 << 20)
        #expect(Self.size(path) == 32 << 20)
        #expect(Self.lockedForWriting(path) && Self.lockedForWriting(path, byteOffset: 20 << 20), "not the whole file locked")
        let fs = try DiskFormatter.format(device, bootloaderPath: nil, password: nil)
        fs.close()
        #expect(WriteLockSupport.waitUntilUnlocked(path), "the lock went with the file system")
    }

    /// A tool's system error about the image names it once, first.
    @Test func aRefusalNamesTheImageOnce() throws {
        let path = try Self.formattedImage()
        defer { unlink(path) }
        let writer = try FileDevice.open(path: path, readOnly: false)
        defer { writer.close() }
        let result = try ArchiveToolTests.run("redoxfs-resize", [path])
        #expect(result.status != 0)
        #expect(result.error.hasPrefix("redoxfs-resize: \(path): open for writing (in use: another redoxfs mount or tool is writing this file system; unmount it first): "), "\(result.error)")
        #expect(result.error.components(separatedBy: path).count == 2, "\(result.error)")
    }

    /// fsck (repairing, so writing) and clone (DEST) name the busy image once too; fsck's exit
    /// status for an operational error stays 8 (fsck(8)).
    @Test func fsckAndCloneNameTheBusyImageOnce() throws {
        let path = try Self.formattedImage()
        let source = try Self.formattedImage()
        defer {
            unlink(path)
            unlink(source)
        }
        let fsck = try Self.expectRefusedWhileBusy("redoxfs-fsck", ["-y", path], image: path)
        #expect(fsck.status == 8, "\(fsck.error)")
        #expect(fsck.error.hasPrefix("redoxfs-fsck: \(path): open for writing (in use: "), "\(fsck.error)")
        let clone = try Self.expectRefusedWhileBusy("redoxfs-clone", [source, path], image: path, message: Self.wholeFileInUse)
        #expect(clone.error.hasPrefix("redoxfs-clone: \(path): replace (in use: "), "\(clone.error)")
        #expect(!clone.error.contains(source), "the error is about DEST: \(clone.error)")
        // An error about SOURCE names SOURCE.
        let missing = source + ".missing"
        let noSource = try ArchiveToolTests.run("redoxfs-clone", [missing, path])
        #expect(noSource.status != 0)
        #expect(noSource.error.hasPrefix("redoxfs-clone: \(missing): "), "\(noSource.error)")
        #expect(noSource.error.components(separatedBy: missing).count == 2, "\(noSource.error)")
    }

    /// `--size` creates a missing image, so a missing one whose folder is missing too gets the
    /// open's error, naming it once, not the advice to create it first or pass --size; without
    /// `--size` the advice stays.
    @Test func aMissingFolderWithSizeIsThePlainOpenError() throws {
        let path = "/var/tmp/redoxfs-missing-\(UUID().uuidString)/a.img"
        let sized = try ArchiveToolTests.run("redoxfs-mkfs", ["--size", "16MiB", path])
        #expect(sized.status != 0)
        #expect(sized.error == "redoxfs-mkfs: \(path): open: \(String(cString: strerror(ENOENT)))\n", "\(sized.error)")
        let unsized = try ArchiveToolTests.run("redoxfs-mkfs", [path])
        #expect(unsized.status != 0)
        #expect(unsized.error.hasPrefix("redoxfs-mkfs: \(path): does not exist: create it first"), "\(unsized.error)")
        #expect(unsized.error.contains("or pass --size"), "\(unsized.error)")
    }

    /// mkfs replaces the whole file: a writer of a file system at 2 MiB in it (another
    /// partition's, another open file description) makes it fail, the file unchanged.
    @Test func mkfsDoesNotReplaceAFileWithAFileSystemBeingWrittenElsewhereInIt() throws {
        let path = try FileDeviceWriteLockTests.makeFile(megabytes: 16)
        defer { unlink(path) }
        let writer = try FileDevice.open(path: path, readOnly: false, byteOffset: 2 << 20)
        let result = try ArchiveToolTests.run("redoxfs-mkfs", [path])
        writer.close()
        WriteLockSupport.waitUntilUnlocked(path)
        #expect(result.status != 0, "mkfs replaced a file with a file system being written: \(result.output)")
        #expect(result.error.contains(Self.wholeFileInUse), "\(result.error)")
        #expect(result.error.components(separatedBy: path).count == 2, "the image named once: \(result.error)")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(bytes.count == 16 << 20 && bytes.allSatisfy { $0 == 0 }, "mkfs wrote nothing")
        #expect(try ArchiveToolTests.run("redoxfs-mkfs", [path]).status == 0, "and may once the writer is gone")
    }

    @Test func resizeDoesNotGrowABusyImage() throws {
        let path = try Self.formattedImage()
        defer { unlink(path) }
        try Self.expectRefusedWhileBusy("redoxfs-resize", [path, "32MiB"], image: path)
        let result = try ArchiveToolTests.run("redoxfs-resize", [path, "32MiB"])
        #expect(result.status == 0, "and does once the writer is gone: \(result.error)")
        #expect(Self.size(path) == 32 << 20)
    }

    @Test func mkfsSizeDoesNotGrowABusyImage() throws {
        let path = try FileDeviceWriteLockTests.makeFile(megabytes: 16)
        defer { unlink(path) }
        try Self.expectRefusedWhileBusy("redoxfs-mkfs", ["--size", "32MiB", path], image: path, message: Self.wholeFileInUse)
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(bytes.allSatisfy { $0 == 0 }, "mkfs wrote nothing")
    }

    @Test func arSizeDoesNotGrowABusyImage() throws {
        let path = try FileDeviceWriteLockTests.makeFile(megabytes: 16)
        let folder = ArchiveToolTests.scratch("lock-ar")
        defer {
            unlink(path)
            try? FileManager.default.removeItem(atPath: folder)
        }
        #expect(FileManager.default.createFile(atPath: folder + "/hello", contents: Data("hello\n".utf8)))
        try Self.expectRefusedWhileBusy("redoxfs-ar", ["--size", "32MiB", path, folder], image: path, message: Self.wholeFileInUse)
    }

    @Test func readOnlyCheckWarnsWhileAWriterHoldsTheLock() throws {
        let path = try Self.formattedImage()
        defer { unlink(path) }
        let quiet = try ArchiveToolTests.run("redoxfs-fsck", ["-n", path])
        #expect(quiet.status == 0, "\(quiet.output)\(quiet.error)")
        #expect(!quiet.error.contains("warning"), "no writer, no warning: \(quiet.error)")

        let writer = try FileDevice.open(path: path, readOnly: false)
        let busy = try ArchiveToolTests.run("redoxfs-fsck", ["-n", path])
        writer.close()
        #expect(busy.error.contains("warning: \(path) is in use"), "\(busy.error)")
        #expect(busy.error.contains("may report problems that are not there"), "\(busy.error)")
        #expect(busy.status == 0, "the warning alone changes no exit status: \(busy.output)")
    }
}
