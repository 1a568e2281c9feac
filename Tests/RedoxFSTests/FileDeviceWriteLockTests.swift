import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSEngine
import RedoxFSTestSupport
import Testing

/// A writable `FileDevice` locks its file system's first block in the file (an open-file-description
/// lock): a second writer of the same file system, in this process or another, is refused with
/// EBUSY and a message that says why; readers are not; two partitions of one disk do not conflict;
/// the lock goes with the descriptor. (Two mounts of one image once ruined every generation of it.)
/// Skipped where the file system under /var/tmp has no such locks (the lock then does nothing).
@Suite(.enabled(if: try WriteLockSupport.available(under: "/var/tmp"), "open-file-description locks refused under /var/tmp"))
struct FileDeviceWriteLockTests {
    static let megabyte = 1 << 20

    /// A new file of `megabytes` zero bytes under /var/tmp (its path is unique).
    static func makeFile(megabytes: Int) throws -> String {
        let path = "/var/tmp/redoxfs-lock-\(UUID().uuidString).img"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, off_t(megabytes * megabyte)) == 0)
        return path
    }

    /// Whether opening `path` for writing (at `byteOffset`, `byteLength` bytes) is refused as busy.
    static func writerRefused(_ path: String, byteOffset: UInt64 = 0, byteLength: UInt64? = nil) throws -> Bool {
        do throws(FileSystemError) {
            let device = try FileDevice.open(path: path, readOnly: false, byteOffset: byteOffset, byteLength: byteLength)
            device.close()
            return false
        } catch {
            guard case .system(_, _, let code) = error, code == EBUSY else { throw error }
            #expect("\(error)".contains("another redoxfs mount or tool is writing"), "\(error)")
            return true
        }
    }

    @Test func secondWriterIsRefusedUntilTheFirstCloses() throws {
        let path = try Self.makeFile(megabytes: 4)
        defer { unlink(path) }
        let first = try FileDevice.open(path: path, readOnly: false)
        #expect(try Self.writerRefused(path))
        // A reader is not refused, and takes no lock a writer would wait for.
        let reader = try FileDevice.open(path: path, readOnly: true)
        reader.close()
        first.close()
        WriteLockSupport.waitUntilUnlocked(path)
        #expect(try !Self.writerRefused(path), "the lock went with the first descriptor")
    }

    @Test func partitionsOfOneDiskDoNotConflict() throws {
        let path = try Self.makeFile(megabytes: 8)
        defer { unlink(path) }
        let half = UInt64(4 * Self.megabyte)
        let low = try FileDevice.open(path: path, readOnly: false, byteOffset: 0, byteLength: half)
        defer { low.close() }
        #expect(try !Self.writerRefused(path, byteOffset: half, byteLength: half), "the other half")
        #expect(try !Self.writerRefused(path, byteOffset: half), "the other half, given only its offset")
        #expect(try Self.writerRefused(path, byteLength: half - 4096), "the same file system")
        #expect(try Self.writerRefused(path), "the same start, to the end of the disk")
    }

    /// A device opened on a descriptor that already holds the lock (a tool that grew the file
    /// under it) keeps that lock: there is no moment between the two in which another writer
    /// could start; the device's close releases it.
    @Test func aDeviceOnALockedDescriptorKeepsItsLock() throws {
        let path = try Self.makeFile(megabytes: 4)
        defer { unlink(path) }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        #expect(fd >= 0)
        do {
            try FileDevice.lockWholeFileForWriting(descriptor: fd, path: path, operation: "replace")
        } catch {
            close(fd)
            throw error
        }
        #expect(ftruncate(fd, off_t(8 * Self.megabyte)) == 0)
        // The device takes `fd` over (closed by the open when it throws).
        let device = try FileDevice.open(adopting: fd, path: path, readOnly: false)
        var deviceOpen = true
        defer { if deviceOpen { device.close() } }
        #expect(device.descriptor == fd)
        #expect(device.blockCount == UInt64(8 * Self.megabyte / 4096), "the length after the growth")
        #expect(try Self.writerRefused(path))
        #expect(try Self.writerRefused(path, byteOffset: UInt64(4 * Self.megabyte)), "still the whole file")
        device.close()
        deviceOpen = false
        WriteLockSupport.waitUntilUnlocked(path)
        #expect(try !Self.writerRefused(path), "the lock went with the device")
    }

    /// A whole-file read lock (a tool copying the image) refuses every writer, with a message
    /// that says a copy is going on, and is refused itself while a writer holds the file.
    @Test func aReadLockRefusesWritersUntilItGoes() throws {
        let path = try Self.makeFile(megabytes: 4)
        defer { unlink(path) }
        var copier = open(path, O_RDONLY | O_CLOEXEC)
        #expect(copier >= 0)
        defer { if copier >= 0 { close(copier) } }
        try FileDevice.lockWholeFileForReading(descriptor: copier, path: path, operation: "copy")
        let error = #expect(throws: FileSystemError.self) { try FileDevice.open(path: path, readOnly: false) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("in use: a redoxfs tool is copying this file system; try again when it is done"), "\(message)")
        #expect(error?.errno == EBUSY)
        let whole = open(path, O_RDWR | O_CLOEXEC)
        defer { close(whole) }
        let replace = #expect(throws: FileSystemError.self) {
            try FileDevice.lockWholeFileForWriting(descriptor: whole, path: path, operation: "replace")
        }
        #expect(replace.map { "\($0)".contains("a redoxfs tool is copying a file system in it") } == true, "\(String(describing: replace))")
        // Readers, and a second copy, are not refused.
        let reader = try FileDevice.open(path: path, readOnly: true)
        reader.close()
        do {
            let second = open(path, O_RDONLY | O_CLOEXEC)
            defer { close(second) }
            try FileDevice.lockWholeFileForReading(descriptor: second, path: path, operation: "copy")
        }
        close(copier)
        copier = -1
        WriteLockSupport.waitUntilUnlocked(path)
        #expect(try !Self.writerRefused(path), "the read lock went with the descriptor")

        // And the other way round: no copy while a writer holds the file system.
        let writer = try FileDevice.open(path: path, readOnly: false)
        defer { writer.close() }
        let late = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(late) }
        let refused = #expect(throws: FileSystemError.self) {
            try FileDevice.lockWholeFileForReading(descriptor: late, path: path, operation: "copy")
        }
        #expect(refused.map { "\($0)".contains("a redoxfs mount or tool is writing a file system in it") } == true, "\(String(describing: refused))")
        // As the tools print it: the file named once.
        let busy = String(cString: strerror(EBUSY))
        #expect(refused?.message(about: path) == "\(path): copy (in use: a redoxfs mount or tool is writing a file system in it; unmount it first): \(busy)")
    }

    /// Another program's read locks on some bytes (QEMU takes shared locks on single bytes from
    /// 100 and from 200 of the disk images it runs) refuse a writer too, but the message does not
    /// say a redoxfs tool is copying it (only a read lock on the whole file, as the installer's
    /// copy takes, says that).
    @Test func aReadLockOnSomeBytesIsNotCalledACopy() throws {
        let path = try Self.makeFile(megabytes: 4)
        defer { unlink(path) }
        let neutral = "in use: another program that has it open holds a lock on it (QEMU locks the disk images it runs)"
        do {
            let emulator = open(path, O_RDONLY | O_CLOEXEC)
            #expect(emulator >= 0)
            defer { close(emulator) }
            for byte in [100, 200] {
                var lock = flock()
                lock.l_type = Int16(F_RDLCK)
                lock.l_whence = Int16(SEEK_SET)
                lock.l_start = off_t(byte)
                lock.l_len = 1
                #expect(fcntl(emulator, 37 /* F_OFD_SETLK */, &lock) == 0, "errno \(errno)")
            }
            let writer = #expect(throws: FileSystemError.self) { try FileDevice.open(path: path, readOnly: false) }
            let message = writer.map { "\($0)" } ?? ""
            #expect(writer?.errno == EBUSY)
            #expect(message.contains(neutral), "\(message)")
            #expect(!message.contains("copying") && !message.contains("is writing"), "\(message)")
            let whole = open(path, O_RDWR | O_CLOEXEC)
            #expect(whole >= 0)
            defer { close(whole) }
            let replace = #expect(throws: FileSystemError.self) {
                try FileDevice.lockWholeFileForWriting(descriptor: whole, path: path, operation: "replace")
            }
            let replaceMessage = replace.map { "\($0)" } ?? ""
            #expect(replaceMessage.contains(neutral) && !replaceMessage.contains("copying"), "\(replaceMessage)")
        }

        // The same refusal from a whole-file read lock (a redoxfs tool copying the image) says so.
        let copier = open(path, O_RDONLY | O_CLOEXEC)
        #expect(copier >= 0)
        defer { close(copier) }
        try FileDevice.lockWholeFileForReading(descriptor: copier, path: path, operation: "copy")
        let copied = #expect(throws: FileSystemError.self) { try FileDevice.open(path: path, readOnly: false) }
        let copiedMessage = copied.map { "\($0)" } ?? ""
        #expect(copiedMessage.contains("a redoxfs tool is copying this file system"), "\(copiedMessage)")
        #expect(!copiedMessage.contains("QEMU"), "\(copiedMessage)")
    }

    /// Another process: the tools lock through the same calls, so `redoxfs-mkfs` run while this
    /// process has the image open for writing fails with the message (of the whole-file lock mkfs
    /// takes first: it replaces the file) and writes nothing.
    @Test func anotherProcessIsRefused() throws {
        let path = try Self.makeFile(megabytes: 16)
        defer { unlink(path) }
        let writer = try FileDevice.open(path: path, readOnly: false)
        let result = try Fixtures.run(Fixtures.tool("redoxfs-mkfs"), [path], input: nil)
        writer.close()
        WriteLockSupport.waitUntilUnlocked(path)
        let message = String(decoding: result.error, as: UTF8.self)
        #expect(result.status != 0)
        #expect(message.contains("a redoxfs mount or tool is writing a file system in it"), "\(message)")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(bytes.allSatisfy { $0 == 0 }, "mkfs wrote nothing")
        #expect(try ArchiveToolTests.run("redoxfs-mkfs", [path]).status == 0, "and may once the writer is gone")
    }
}
