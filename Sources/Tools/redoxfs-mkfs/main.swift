import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSTools

/// `redoxfs-mkfs [--encrypt] DISK [BOOTLOADER]` (also installed as `mkfs.redoxfs`): makes an
/// empty file system laid out exactly as upstream's mkfs does.
struct MakeFileSystem: ParsableCommand {
    static let tool = ToolName.invoked(fallback: "redoxfs-mkfs")

    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: tool,
            abstract: "Make an empty RedoxFS file system on an image file or block device.",
            discussion: """
                DISK must exist; its length is the disk size (upstream's rule). --size creates DISK \
                or grows it first. A BOOTLOADER file is written at the start of DISK and the file \
                system starts at the next 4096-byte boundary. With --encrypt the password comes from \
                --password-file, else a line of standard input, else a prompt on the terminal \
                (asked twice, echo off).
                """)
    }

    @Flag(help: "Encrypt the file system (XTS-AES-128, key slot 0 holds the password).")
    var encrypt = false

    @Option(help: "Read the password from this file (implies --encrypt).")
    var passwordFile: String?

    @Option(help: "Create DISK, or grow it, to this size first (e.g. 64MiB, 1G).")
    var size: String?

    @Argument(help: "The image file or block device.")
    var disk: String

    @Argument(help: "A bootloader to place in front of the file system.")
    var bootloader: String?

    func validate() throws {
        if let size, ByteSize.parse(size) == nil { throw ValidationError("--size: '\(size)' is not a size") }
    }

    func run() throws {
        let tool = Self.tool
        do {
            // Locked (whole file) before --size grows it, until the file system is closed.
            let device = try DiskFile.prepare(disk, size: size.flatMap(ByteSize.parse))
            let password = try PasswordInput.readNew(for: device, encrypt: encrypt, file: passwordFile, tool: tool)
            let fs = try DiskFormatter.format(device, bootloaderPath: bootloader, password: password)
            let line = DiskFormatter.summary(tool: tool, disk: disk, fileSystem: fs)
            fs.close()
            print(line)
        } catch {
            exitWithError(tool, image: disk, error)
        }
    }
}

MakeFileSystem.main()
