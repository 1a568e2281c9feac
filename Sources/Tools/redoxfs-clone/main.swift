import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSTools

/// `redoxfs-clone SOURCE DEST [BOOTLOADER]`: makes a new file system on DEST holding a copy of
/// the tree of the file system in SOURCE.
struct Clone: ParsableCommand {
    static let tool = "redoxfs-clone"

    static let configuration = CommandConfiguration(
        commandName: tool,
        abstract: "Copy the tree of a RedoxFS image into a new file system on DEST.",
        discussion: """
            SOURCE comes first (as upstream's program really takes it). SOURCE is opened read-only \
            (encrypted ones too: --password-file, standard input or a prompt); DEST is formatted \
            (encrypted with --encrypt) and every node is recreated with its mode, owner and times. \
            Hard links stay hard links, holes stay holes; node ids and block placement change. \
            DEST must exist unless --size is given. --partition, --uuid, --offset and --block \
            apply to SOURCE.
            """)

    @OptionGroup var source: ImageOptions

    @Argument(help: "The image file or block device to format.")
    var destination: String

    @Argument(help: "A bootloader to place in front of the new file system.")
    var bootloader: String?

    @Flag(help: "Encrypt the new file system.")
    var encrypt = false

    @Option(help: "Read the new file system's password from this file (implies --encrypt).")
    var newPasswordFile: String?

    @Option(help: "Create DEST, or grow it, to this size first (e.g. 1GiB).")
    var size: String?

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let size, ByteSize.parse(size) == nil { throw ValidationError("--size: '\(size)' is not a size") }
    }

    func run() throws {
        var bar: ProgressBar?
        // What an error is about: SOURCE until it is open, then DEST.
        var about = source.regionOrExit(tool: Self.tool)
        do {
            if let a = DiskFile.inode(source.image), a == DiskFile.inode(destination) {
                throw FileSystemError.invalidArgument("SOURCE and DEST are the same file")
            }
            let (from, _) = try source.openKeepingPassword(
                about, readOnly: true, prompt: "\(Self.tool): password of \(source.image): ")
            defer { from.close() }
            about = DeviceRegion(path: destination)
            // Locked (whole file) before --size grows it, until the file system is closed.
            let device = try DiskFile.prepare(destination, size: size.flatMap(ByteSize.parse))
            var password: [UInt8]?
            if encrypt || newPasswordFile != nil {
                do {
                    password = try PasswordInput.readNew(
                        file: newPasswordFile, prompt: "\(Self.tool): password of \(destination): ",
                        confirmation: "\(Self.tool): repeat password of \(destination): ")
                } catch {
                    device.close()
                    throw error
                }
            }
            let to = try DiskFormatter.format(device, bootloaderPath: bootloader, password: password)
            let cloner = TreeCloner(source: from, destination: to)
            if !quiet, let total = try? Self.measureIfShown(cloner) {
                bar = ProgressBar(label: "cloning", totalBytes: total.bytes, totalItems: total.entries, itemName: "entries")
            }
            if let bar { cloner.progress = { bar.update($0) } }
            do {
                try cloner.clone()
            } catch {
                bar?.clear()
                to.close()
                exitWithError(Self.tool, "\(error)\n\(destination) holds a consistent file system with the part copied so far")
            }
            bar?.finish(cloner.copied)
            try to.cleanup()
            let (blocks, free) = try to.statistics()
            let blockSize = UInt64(RedoxFS.blockSize)
            let lines = [
                "\(Self.tool): created filesystem on \(destination)",
                "\treserved: \(to.startBlock) blocks",
                "\tuuid: \(to.uuidString)",
                "\tsize: \(to.header.size / 1_000_000) MB",
                "\tused: \((blocks - free) * blockSize / 1_000_000) MB",
                "\tfree: \(free * blockSize / 1_000_000) MB",
            ]
            to.close()
            if !quiet { print(lines.joined(separator: "\n")) }
        } catch {
            bar?.clear()
            exitWithError(Self.tool, region: about, error)
        }
    }

    /// The source's totals, counted only when a progress bar will be shown.
    static func measureIfShown(_ cloner: TreeCloner) throws -> CopyProgress? {
        guard ProgressBar(label: "", totalBytes: 0, totalItems: 0) != nil else { return nil }
        return try cloner.measure()
    }
}

Clone.main()
