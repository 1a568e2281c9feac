import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Installer
import RedoxFS
import RedoxFSTestSupport
import Testing

/// The installer and the image write lock: an installation that fails after it opened (and
/// locked) the RedoxFS partition's device closes it, so a library caller keeps neither the lock
/// nor a descriptor; an installation onto an existing image is refused while a file system
/// anywhere in it has a writer; the --esp-image/--redoxfs-image mode refuses an output that is
/// one of its inputs, or that a redoxfs mount or tool is writing, before anything is written, and
/// keeps its RedoxFS input read-locked while it copies it (a mount starting meanwhile is refused);
/// an input cut short meanwhile is an error; a write_bootloader file with a file system being
/// written is refused before it is cut, and a refused installation leaves it (and the output) as
/// it was; write_bootloader may name a pipe, but not the output itself.
@Suite struct InstallerWriteLockTests {
    /// The message of a refused whole-file lock (the output is replaced).
    static let inUse = "a redoxfs mount or tool is writing a file system in it"

    /// A 64 MiB image that refuses every write: a memfd called `name` (so its descriptors show
    /// in /proc/self/fd), sealed with F_SEAL_WRITE; nil where memfds cannot be had.
    static func writeRefusingImage(name: String) -> Int32? {
        typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else { return nil }
        let create = unsafeBitCast(symbol, to: MemfdCreate.self)
        // MFD_CLOEXEC | MFD_ALLOW_SEALING; F_ADD_SEALS (1033) with F_SEAL_WRITE (8).
        let fd = create(name, 1 | 2)
        guard fd >= 0 else { return nil }
        guard ftruncate(fd, 64 << 20) == 0, fcntl(fd, 1033, Int32(8)) == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// How many descriptors of this process are open on the memfd called `name`.
    static func descriptors(on name: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { entry in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) ?? ""
            return target.hasPrefix("/memfd:\(name) ")
        }.count
    }

    /// Whether a write-refusing image can be made and a `FileDevice`'s lock on it is seen from
    /// another descriptor (else the test below could not see a lock left behind).
    static var writeRefusingImageShowsLocks: Bool {
        let name = "redoxfs-installer-probe-\(UUID().uuidString)"
        guard let fd = writeRefusingImage(name: name) else { return false }
        defer { close(fd) }
        guard let device = try? FileDevice.open(path: "/proc/self/fd/\(fd)", readOnly: false, byteOffset: 2 << 20) else { return false }
        defer { device.close() }
        return FileDevice.isLockedForWriting(descriptor: fd, byteOffset: 2 << 20)
    }

    @Test(.enabled(if: writeRefusingImageShowsLocks, "no sealed memfd, or no open-file-description locks on it"))
    func aFailedInstallationLeavesTheImageUnlocked() throws {
        let name = "redoxfs-installer-\(UUID().uuidString)"
        let fd = try #require(Self.writeRefusingImage(name: name))
        defer { close(fd) }
        let path = "/proc/self/fd/\(fd)"
        let redoxOffset: UInt64 = 2 << 20

        var options = InstallOptions(configuration: Configuration(), output: path)
        options.skipPackages = true
        options.showProgress = false
        options.sourceDateEpoch = 1_700_000_000
        // The partition table is the first write after the device was opened: refused (EPERM).
        let error = #expect(throws: InstallerError.self) { try Installer(options: options).install() }
        #expect(error.map { "\($0)".contains("write failed") } == true, "\(String(describing: error))")
        #expect(!FileDevice.isLockedForWriting(descriptor: fd, byteOffset: redoxOffset), "the device's lock was left held")
        #expect(Self.descriptors(on: name) == 1, "a descriptor of the output was left open")
        // So the next writer (another installation, a mount) is not refused.
        let next = try FileDevice.open(path: path, readOnly: false, byteOffset: redoxOffset)
        next.close()
    }

    /// An existing image whose old content has a file system with a writer at offset 0 (not where
    /// the new RedoxFS partition goes): the installation replaces the whole image, so it is
    /// refused before anything is written, with the output named once.
    @Test(.enabled(if: try WriteLockSupport.available(under: NSTemporaryDirectory()), "open-file-description locks refused under the temporary folder"))
    func installationRefusesAnImageWithAFileSystemBeingWrittenElsewhereInIt() throws {
        let folder = try Scratch.folder("install-lock")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/disk.img"
        let old = Data(repeating: 0xCC, count: 64 << 20)
        #expect(FileManager.default.createFile(atPath: output, contents: old))
        let writer = try FileDevice.open(path: output, readOnly: false, byteOffset: 0, byteLength: 1 << 20)

        try Self.expectRefusedWhileWritten(Configuration(), output: output, busy: output, old: old, writer: writer)
    }

    /// Installs `configuration` to `output` (no packages) while `writer` writes a file system in
    /// `busy`: refused, naming `busy` once, with `busy` as it was (`old`) and every file of
    /// `unchanged` holding its content there; once `writer` is closed, the installation goes
    /// through.
    static func expectRefusedWhileWritten(
        _ configuration: Configuration, output: String, busy: String, old: Data, writer: FileDevice,
        unchanged: [String: Data] = [:]
    ) throws {
        var options = InstallOptions(configuration: configuration, output: output)
        options.skipPackages = true
        options.showProgress = false
        options.sourceDateEpoch = 1_700_000_000
        let error = #expect(throws: InstallerError.self) { try Installer(options: options).install() }
        writer.close()
        WriteLockSupport.waitUntilUnlocked(busy)
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains(Self.inUse), "\(message)")
        #expect(message.components(separatedBy: busy).count == 2, "\(busy) named once: \(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: busy)) == old, "the busy file was changed")
        for (path, content) in unchanged {
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content, "\(path) was changed by a refused installation")
        }
        try Installer(options: options).install()
    }

    /// An ESP image and a RedoxFS volume image in a new folder.
    static func partitionImages() throws -> (folder: String, esp: String, volume: String) {
        let folder = try Scratch.folder("assemble-lock")
        let esp = folder + "/esp.img", volume = folder + "/volume.img"
        #expect(FileManager.default.createFile(atPath: esp, contents: Data(repeating: 0xE5, count: 1 << 20)))
        #expect(FileManager.default.createFile(atPath: volume, contents: Data(repeating: 0x5A, count: 3 << 20)))
        return (folder, esp, volume)
    }

    /// `partitionImages()` and beside them an existing 8 MiB output full of 0xCC (its content:
    /// `old`).
    static func partitionImagesAndOldOutput() throws -> (folder: String, esp: String, volume: String, output: String, old: Data) {
        let (folder, esp, volume) = try partitionImages()
        let output = folder + "/disk.img"
        let old = Data(repeating: 0xCC, count: 8 << 20)
        #expect(FileManager.default.createFile(atPath: output, contents: old))
        return (folder, esp, volume, output, old)
    }

    @Test func assemblyRefusesAnInputAsItsOutput() throws {
        let (folder, esp, volume) = try Self.partitionImages()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        // By path, and by another name of the same file (a hard link).
        try FileManager.default.linkItem(atPath: volume, toPath: folder + "/other-name.img")
        for output in [esp, folder + "/other-name.img"] {
            let error = #expect(throws: InstallerError.self) { try disk.write(to: output) }
            #expect(error.map { "\($0)".contains("image") && "\($0)".contains("itself") } == true, "\(String(describing: error))")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: esp)) == Data(repeating: 0xE5, count: 1 << 20))
        #expect(try Data(contentsOf: URL(fileURLWithPath: volume)) == Data(repeating: 0x5A, count: 3 << 20))

        // The tool says so and exits non-zero.
        let result = try Scratch.run("redox-installer", ["--esp-image", esp, "--redoxfs-image", volume, volume])
        #expect(result.status != 0)
        #expect(result.err.contains("is the RedoxFS image \(volume) itself"), "\(result.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: volume)) == Data(repeating: 0x5A, count: 3 << 20))
    }

    /// A read-only input named as the output is refused as an input (not with the open's
    /// EACCES); an input that is gone leaves no output behind.
    @Test func assemblyChecksItsInputsBeforeItOpensTheOutput() throws {
        let (folder, esp, volume) = try Self.partitionImages()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        #expect(chmod(volume, 0o444) == 0)
        if access(volume, W_OK) != 0 {  // not when run as root
            let error = #expect(throws: InstallerError.self) { try disk.write(to: volume) }
            #expect(error.map { "\($0)".contains("itself") } == true, "\(String(describing: error))")
        }
        #expect(unlink(esp) == 0)
        let output = folder + "/disk.img"
        let error = #expect(throws: InstallerError.self) { try disk.write(to: output) }
        #expect(error.map { "\($0)".contains(esp) } == true, "\(String(describing: error))")
        #expect(access(output, F_OK) != 0, "an output was left behind")
    }

    /// A RedoxFS image whose file system a writer holds is not copied: refused, no output made.
    @Test(.enabled(if: try WriteLockSupport.available(under: NSTemporaryDirectory()), "open-file-description locks refused under the temporary folder"))
    func assemblyRefusesARedoxFSImageBeingWritten() throws {
        let (folder, esp, volume) = try Self.partitionImages()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        let output = folder + "/disk.img"
        let writer = try FileDevice.open(path: volume, readOnly: false)
        let error = #expect(throws: InstallerError.self) { try disk.write(to: output) }
        #expect(error.map { "\($0)" } == "\(volume): in use: a redoxfs mount or tool is writing this file system, so a copy of it would not be consistent; unmount it first")
        #expect(access(output, F_OK) != 0, "an output was made")

        let result = try Scratch.run("redox-installer", ["--esp-image", esp, "--redoxfs-image", volume, output])
        writer.close()
        WriteLockSupport.waitUntilUnlocked(volume)
        #expect(result.status != 0)
        #expect(result.err.contains("in use"), "\(result.err)")
        try disk.write(to: output)
    }

    @Test(.enabled(if: try WriteLockSupport.available(under: NSTemporaryDirectory()), "open-file-description locks refused under the temporary folder"))
    func assemblyRefusesAnOutputBeingWritten() throws {
        let (folder, esp, volume, output, old) = try Self.partitionImagesAndOldOutput()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        // A writer of the file system in the old disk's RedoxFS partition.
        let writer = try FileDevice.open(path: output, readOnly: false, byteOffset: disk.layout.redoxOffset)
        let error = #expect(throws: InstallerError.self) { try disk.write(to: output) }
        writer.close()
        WriteLockSupport.waitUntilUnlocked(output)
        #expect(error.map { "\($0)".contains(Self.inUse) } == true, "\(String(describing: error))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == old, "the busy output was changed")
        try disk.write(to: output)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)).count == Int(disk.layout.diskBytes))
    }

    /// While the RedoxFS input is copied, it is read-locked: a mount (a writable device) or a tool
    /// replacing the file that starts meanwhile is refused, saying a copy is going on; afterwards
    /// both may.
    @Test(.enabled(if: try WriteLockSupport.available(under: NSTemporaryDirectory()), "open-file-description locks refused under the temporary folder"))
    func assemblyKeepsTheRedoxFSImageReadLockedWhileItCopies() throws {
        let (folder, esp, volume) = try Self.partitionImages()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        var attempts: [String] = []
        try disk.write(to: folder + "/disk.img", randomness: Randomness(seed: nil)) {
            do throws(FileSystemError) {
                let mount = try FileDevice.open(path: volume, readOnly: false)
                mount.close()
                attempts.append("a writer started")
            } catch {
                attempts.append("\(error)")
            }
        }
        // One chunk of the ESP (1 MiB), three of the volume (3 MiB): locked from before the first.
        #expect(attempts.count == 4)
        WriteLockSupport.waitUntilUnlocked(volume)
        for attempt in attempts {
            #expect(attempt.contains("in use: a redoxfs tool is copying this file system; try again when it is done"), "\(attempt)")
        }
        let mount = try FileDevice.open(path: volume, readOnly: false)
        mount.close()
    }

    /// An input whose size changed after the layout was made from it (shorter, or longer, which
    /// would be cut): refused before the output is touched, an existing output left as it was.
    @Test(arguments: [512 << 10, 3 << 19])
    func assemblyRefusesAnESPThatChangedSize(to bytes: Int) throws {
        let (folder, esp, volume, output, old) = try Self.partitionImagesAndOldOutput()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        #expect(truncate(esp, off_t(bytes)) == 0)
        let error = #expect(throws: InstallerError.self) { try disk.write(to: output) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("\(esp): the image changed size (1048576 bytes when looked at, \(bytes) now)"), "\(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == old, "the output was touched")
        #expect(unlink(output) == 0)
        #expect(throws: InstallerError.self) { try disk.write(to: output) }
        #expect(access(output, F_OK) != 0, "an output was made")
    }

    /// An input cut short after it was measured, even while it is copied: an error naming it,
    /// never a disk with zeros where the rest should be.
    @Test func assemblyRefusesAnInputThatGotShorter() throws {
        let (folder, esp, volume) = try Self.partitionImages()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        #expect(truncate(volume, 2 << 20) == 0)
        let shrunk = #expect(throws: InstallerError.self) { try disk.write(to: folder + "/disk.img") }
        #expect(shrunk.map { "\($0)".contains("\(volume): the image changed size") } == true, "\(String(describing: shrunk))")

        // Cut during the copy (after the ESP's only chunk): the read that comes short says so.
        let again = try PartitionImageDisk(espImage: esp, redoxFSImage: volume)
        var cut = false
        let error = #expect(throws: InstallerError.self) {
            try again.write(to: folder + "/disk.img", randomness: Randomness(seed: nil)) {
                if !cut { cut = truncate(volume, 3 << 19) == 0 }
            }
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("\(volume): read failed: the file ends at byte 1572864, before the 1048576 bytes from byte 1048576 were read"), "\(message)")
    }

    /// write_bootloader names a file with a file system being written in it (a wrong path, here a
    /// partition at 1 MiB): the installation is refused before that file is cut, and it stays as it
    /// was; without the writer it is replaced.
    @Test(.enabled(if: try WriteLockSupport.available(under: NSTemporaryDirectory()), "open-file-description locks refused under the temporary folder"))
    func writeBootloaderDoesNotCutAFileBeingWritten() throws {
        let folder = try Scratch.folder("bootloader-lock")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/disk.img", busy = folder + "/busy.img"
        #expect(FileManager.default.createFile(atPath: output, contents: Data(count: 64 << 20)))
        let old = Data(repeating: 0xCC, count: 4 << 20)
        #expect(FileManager.default.createFile(atPath: busy, contents: old))
        let writer = try FileDevice.open(path: busy, readOnly: false, byteOffset: 1 << 20)

        var configuration = Configuration()
        configuration.general.writeBootloader = busy
        try Self.expectRefusedWhileWritten(
            configuration, output: output, busy: busy, old: old, writer: writer, unchanged: [output: Data(count: 64 << 20)])
        #expect(try Data(contentsOf: URL(fileURLWithPath: busy)).isEmpty, "replaced by the (empty) UEFI loader")
    }

    /// A configuration whose image holds `loader` as its UEFI loader, written to `writeBootloader`.
    static func configuration(loader: String, writeBootloader: String) -> Configuration {
        var configuration = Configuration()
        configuration.general.filesystemSize = 40
        configuration.general.writeBootloader = writeBootloader
        configuration.files = [FileEntry(path: "/usr/lib/boot/bootloader.efi", data: loader)]
        return configuration
    }

    /// An installation refused because a file system in its output has a writer writes nothing:
    /// the write_bootloader file keeps its content (it was replaced before the output was looked
    /// at), and one that did not exist is not made.
    @Test(.enabled(if: try WriteLockSupport.available(under: NSTemporaryDirectory()), "open-file-description locks refused under the temporary folder"))
    func aRefusedInstallationLeavesTheBootloaderFileAsItWas() throws {
        let folder = try Scratch.folder("bootloader-refused")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/disk.img", loader = folder + "/loader.efi"
        let old = Data(repeating: 0xCC, count: 64 << 20), mine = Data("the user's own loader".utf8)
        #expect(FileManager.default.createFile(atPath: output, contents: old))
        #expect(FileManager.default.createFile(atPath: loader, contents: mine))
        // A writer of a file system at offset 0, where the new RedoxFS partition does not go.
        let writer = try FileDevice.open(path: output, readOnly: false, byteOffset: 0, byteLength: 1 << 20)

        let configuration = Self.configuration(loader: "EFI-NEW", writeBootloader: loader)
        try Self.expectRefusedWhileWritten(configuration, output: output, busy: output, old: old, writer: writer, unchanged: [loader: mine])
        #expect(try String(contentsOfFile: loader, encoding: .utf8) == "EFI-NEW")

        let missing = folder + "/missing.efi"
        let again = try FileDevice.open(path: output, readOnly: false, byteOffset: 0, byteLength: 1 << 20)
        defer { again.close() }
        var options = InstallOptions(configuration: Self.configuration(loader: "EFI-NEW", writeBootloader: missing), output: output)
        options.skipPackages = true
        options.showProgress = false
        #expect(throws: InstallerError.self) { try Installer(options: options).install() }
        #expect(access(missing, F_OK) != 0, "a refused installation made the write_bootloader file")
    }

    /// A write_bootloader file with a file system being written refuses an installation onto a new
    /// image before that image is left behind.
    @Test(.enabled(if: try WriteLockSupport.available(under: NSTemporaryDirectory()), "open-file-description locks refused under the temporary folder"))
    func aRefusedBootloaderFileLeavesNoNewImage() throws {
        let folder = try Scratch.folder("bootloader-new-image")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/new.img", busy = folder + "/busy.img"
        #expect(FileManager.default.createFile(atPath: busy, contents: Data(repeating: 0xCC, count: 4 << 20)))
        let writer = try FileDevice.open(path: busy, readOnly: false)
        defer { writer.close() }
        var options = InstallOptions(configuration: Self.configuration(loader: "EFI-NEW", writeBootloader: busy), output: output)
        options.skipPackages = true
        options.showProgress = false
        let error = #expect(throws: InstallerError.self) { try Installer(options: options).install() }
        #expect(error.map { "\($0)".contains(Self.inUse) } == true, "\(String(describing: error))")
        #expect(access(output, F_OK) != 0, "the new image was left behind")
    }

    /// write_bootloader naming the output itself is refused with words that say so (not as a file
    /// being written), by whatever name it reaches it (a hard link, a symlink, the output's own
    /// path), the output left as it was; a new image made for the installation is not left
    /// behind. The second name is printed only when it is not the output's.
    @Test func writeBootloaderRefusesTheOutputItself() throws {
        let folder = try Scratch.folder("bootloader-output")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/disk.img", link = folder + "/other-name.img", symlink = folder + "/symlink.img"
        let old = Data(repeating: 0xCC, count: 64 << 20)
        #expect(FileManager.default.createFile(atPath: output, contents: old))
        try FileManager.default.linkItem(atPath: output, toPath: link)
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: output)
        func install(_ output: String, writeBootloader: String) -> String? {
            var options = InstallOptions(configuration: Self.configuration(loader: "EFI-NEW", writeBootloader: writeBootloader), output: output)
            options.skipPackages = true
            options.showProgress = false
            let error = #expect(throws: InstallerError.self) { try Installer(options: options).install() }
            return error.map { "\($0)" }
        }
        for name in [link, symlink] {
            let message = install(output, writeBootloader: name)
            #expect(message == "write_bootloader names the output \(output) itself (\(name)); it must be another file")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == old, "the output was changed")
        }

        let new = folder + "/new.img"
        let message = install(new, writeBootloader: new)
        #expect(message == "write_bootloader names the output \(new) itself; it must be another file")
        #expect(access(new, F_OK) != 0, "the new image was left behind")
    }

    /// write_bootloader may name a pipe (`>(sha256sum)`, as upstream allows): the loader is written
    /// to it.
    @Test func writeBootloaderWritesToAPipe() throws {
        let folder = try Scratch.folder("bootloader-pipe")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ends = try Scratch.closeOnExecPipe()
        defer { close(ends[0]) }
        var options = InstallOptions(
            configuration: Self.configuration(loader: "EFI-PIPED", writeBootloader: "/proc/self/fd/\(ends[1])"), output: folder + "/disk.img")
        options.skipPackages = true
        options.showProgress = false
        // The loader is far smaller than the pipe's buffer: written without a reader waiting.
        let installed = Result { try Installer(options: options).install() }
        close(ends[1])
        _ = try installed.get()
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = read(ends[0], &bytes, bytes.count)
        #expect(count >= 0 && String(decoding: bytes.prefix(max(count, 0)), as: UTF8.self) == "EFI-PIPED")
    }
}
