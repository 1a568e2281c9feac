#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// A disk in the installer's layout assembled from ready partition images (an ESP image and a
/// RedoxFS volume): the protective MBR (boot code zero), the primary GPT in sectors 1-33, the ESP
/// at 1 MiB, RedoxFS at the next MiB boundary after it (2 MiB when the ESP fits the default
/// 1 MiB), the backup GPT in the last MiB. The partition table is `DiskLayout.gpt` (BIOS, EFI,
/// REDOX), the same the installer writes; nothing else is written before 1 MiB, so a BIOS blob
/// can be laid over the MBR boot code and LBA 34 on afterwards.
public struct PartitionImageDisk: Sendable {
    /// The ESP image's path and size in bytes.
    public let espPath: String
    public let espBytes: UInt64
    /// The RedoxFS image's path and size in bytes.
    public let redoxFSPath: String
    public let redoxFSBytes: UInt64
    /// Where everything goes.
    public let layout: DiskLayout

    /// Looks at both images (regular, non-empty files) and derives the layout.
    public init(espImage: String, redoxFSImage: String) throws(InstallerError) {
        espPath = espImage
        redoxFSPath = redoxFSImage
        espBytes = try Self.regularFileSize(espImage)
        redoxFSBytes = try Self.regularFileSize(redoxFSImage)
        let mib = DiskLayout.mebibyte
        let espMiB = max(1, (espBytes + mib - 1) / mib)
        let redoxMiB = (redoxFSBytes + mib - 1) / mib
        // ESP from 1 MiB, RedoxFS whole MiBs after it, one MiB for the backup GPT.
        layout = DiskLayout(diskBytes: (1 + espMiB + redoxMiB + 1) * mib, efiMiB: espMiB)
    }

    /// Writes the disk to `output` (a new or existing regular file, replaced); GUIDs from
    /// `randomness`. Refused, before anything is written (or `output` created), when `output` is
    /// one of the partition images, when an image's size is no longer the one measured, while a
    /// redoxfs mount or tool writes the RedoxFS image (a copy of it would be torn), or while one
    /// writes a file system in `output` (the image write lock). The RedoxFS image is read-locked
    /// for the whole copy (`FileDevice.lockWholeFileForReading`): a mount or tool that would
    /// start writing it meanwhile is refused. An output this call made is removed by any failure
    /// before it is synced (a copy that fails, ENOSPC), while its path still names it; an
    /// existing one is left as far as it was written.
    public func write(to output: String, randomness: Randomness = Randomness(seed: nil)) throws(InstallerError) {
        try write(to: output, randomness: randomness, afterEachChunk: nil)
    }

    /// `write(to:randomness:)`, calling `afterEachChunk` after each chunk (1 MiB) of an input is
    /// copied, for tests that look at the locks while the copy goes on.
    func write(to output: String, randomness: Randomness, afterEachChunk: (() -> Void)?) throws(InstallerError) {
        var info = stat()
        let exists = stat(output, &info) == 0
        if exists, (info.st_mode & S_IFMT) != S_IFREG {
            throw .unsafeTarget("\(output) is not a regular file; this mode writes image files only")
        }
        // Before the writable open, so that a read-only input or a vanished one leaves no
        // output behind and gets its own error.
        try refuseInput(exists ? info : nil, output: output)
        let redoxFS = try openRedoxFSImageForCopying()
        defer { close(redoxFS) }
        let esp = try openESPImageForCopying()
        defer { close(esp) }
        // Not truncated at the open: first the checks that it may be replaced.
        let (fd, created) = try Self.openOutput(output)
        defer { close(fd) }
        // Run before the close: the removal compares the path with what `fd` is open on.
        var synced = false
        defer { if created && !synced { HostFiles.removeNewFile(output, openAs: fd) } }
        // Again on what was opened (the path may name another file by now).
        guard fstat(fd, &info) == 0 else { throw .host(operation: "stat", path: output, errno: errno) }
        try refuseInput(info, output: output)
        // Every file system in the old content, at any offset, goes: none may have a writer.
        do throws(FileSystemError) {
            try FileDevice.lockWholeFileForWriting(descriptor: fd, path: output, operation: "replace")
        } catch {
            throw .engine(output, error)
        }
        guard ftruncate(fd, 0) == 0, ftruncate(fd, off_t(layout.diskBytes)) == 0 else {
            throw .host(operation: "resize", path: output, errno: errno)
        }
        let writer = OutputWriter(fd: fd, path: output)
        try writer.writePartitionTables(layout.gpt(diskGUID: randomness.guid("disk"), uniqueGUIDs: [
            randomness.guid("partition:BIOS"), randomness.guid("partition:EFI"), randomness.guid("partition:REDOX"),
        ]), sector0: [UInt8](repeating: 0, count: GPT.sectorSize))
        try copy(OutputWriter(fd: esp, path: espPath), bytes: espBytes, to: writer, at: layout.efiOffset, afterEachChunk)
        try copy(OutputWriter(fd: redoxFS, path: redoxFSPath), bytes: redoxFSBytes, to: writer, at: layout.redoxOffset, afterEachChunk)
        if fsync(fd) != 0 && errno != EINVAL { throw .host(operation: "sync", path: output, errno: errno) }
        synced = true
    }

    /// Opens `output` for reading and writing; `created` is true only when this open made it
    /// (O_EXCL), so that a failure removes nothing that was there before (a file made meanwhile
    /// by someone else, between a look and the open, included). A file that is there is opened
    /// as it is; a symbolic link whose target is missing makes the target, not counted as made.
    private static func openOutput(_ output: String) throws(InstallerError) -> (fd: Int32, created: Bool) {
        let fd = Glibc.open(output, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 { return (fd, true) }
        guard errno == EEXIST else { throw .host(operation: "create", path: output, errno: errno) }
        let existing = Glibc.open(output, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard existing >= 0 else { throw .host(operation: "create", path: output, errno: errno) }
        return (existing, false)
    }

    /// Refuses an output (`target`: its stat; nil when it does not exist yet) that is one of the
    /// partition images (`HostFiles.sameFile`: one inode, whatever the paths say): replacing it would
    /// destroy the input before it is read. A partition image that is gone is refused too.
    private func refuseInput(_ target: stat?, output: String) throws(InstallerError) {
        for (role, path) in [("ESP", espPath), ("RedoxFS", redoxFSPath)] {
            var input = stat()
            guard stat(path, &input) == 0 else { throw .host(operation: "stat", path: path, errno: errno) }
            if let target, HostFiles.sameFile(input, target) {
                throw .unsafeTarget("\(output) is the \(role) image \(path) itself; the output must be another file (it is replaced, and its input would be lost)")
            }
        }
    }

    /// Opens the RedoxFS image and read-locks all of it for the copy
    /// (`FileDevice.lockWholeFileForReading`): refused while a redoxfs mount or tool writes a
    /// file system in it (the copy would mix generations), and no writer can start until the
    /// descriptor returned is closed. Its size must still be the one the layout was made for.
    private func openRedoxFSImageForCopying() throws(InstallerError) -> Int32 {
        let fd = try HostFiles.openImage(redoxFSPath, flags: O_RDONLY)
        do throws(InstallerError) {
            do throws(FileSystemError) {
                try FileDevice.lockWholeFileForReading(descriptor: fd, path: redoxFSPath, operation: "copy")
            } catch .system(_, _, EBUSY) {
                throw InstallerError.other("\(redoxFSPath): in use: a redoxfs mount or tool is writing this file system, so a copy of it would not be consistent; unmount it first")
            } catch {
                throw InstallerError.engine(redoxFSPath, error)
            }
            try Self.requireSize(fd, redoxFSBytes, path: redoxFSPath)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Opens the ESP image for the copy, before the output is touched: one that is gone, or
    /// whose size is no longer the one the layout was made for (a longer one would be cut, a
    /// shorter one would leave the output half written), is refused with the output untouched.
    private func openESPImageForCopying() throws(InstallerError) -> Int32 {
        let fd = try HostFiles.openImage(espPath, flags: O_RDONLY)
        do throws(InstallerError) {
            try Self.requireSize(fd, espBytes, path: espPath)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Refuses the input `fd` (`path`) when its size is no longer `bytes`, the size the layout
    /// was made for.
    private static func requireSize(_ fd: Int32, _ bytes: UInt64, path: String) throws(InstallerError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .host(operation: "stat", path: path, errno: errno) }
        guard UInt64(info.st_size) == bytes else {
            throw .other("\(path): the image changed size (\(bytes) bytes when looked at, \(info.st_size) now); run again")
        }
    }

    /// Copies the first `bytes` bytes of `input` to the output at `offset`, 1 MiB at a time,
    /// calling `afterEachChunk` after each.
    private func copy(
        _ input: OutputWriter, bytes: UInt64, to writer: OutputWriter, at offset: UInt64, _ afterEachChunk: (() -> Void)?
    ) throws(InstallerError) {
        var done: UInt64 = 0
        while done < bytes {
            let count = Int(min(bytes - done, DiskLayout.mebibyte))
            let chunk = try input.read(count, at: done)
            try writer.write(chunk, at: offset + done)
            done += UInt64(count)
            afterEachChunk?()
        }
    }

    private static func regularFileSize(_ path: String) throws(InstallerError) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .host(operation: "stat", path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .other("\(path): not a regular file (a partition image is needed)") }
        guard info.st_size > 0 else { throw .other("\(path): the partition image is empty") }
        return UInt64(info.st_size)
    }
}

extension OutputWriter {
    /// The protective MBR (keeping the boot code of `sector0`), the primary GPT (sectors 1-33)
    /// and the backup GPT: the partition tables as the installer writes them.
    func writePartitionTables(_ gpt: GPT, sector0: [UInt8]) throws(InstallerError) {
        try write(gpt.protectiveMBR(keeping: sector0), at: 0)
        let (primary, backup, backupOffset) = gpt.tables()
        try write(primary, at: UInt64(GPT.sectorSize))
        try write(backup, at: backupOffset)
    }
}
