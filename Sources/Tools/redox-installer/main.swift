#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Installer
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSTools

/// `redox-installer [OPTIONS] [OUTPUT]`: a bootable Redox disk image (or device) from a configuration.
struct RedoxInstaller: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redox-installer",
        abstract: "Make a bootable Redox disk (GPT, ESP, RedoxFS) from a filesystem configuration.",
        discussion: """
            OUTPUT is an image file (made with general.filesystem_size MiB when missing, used at \
            its size when present) or a block device. The contents (files, packages, users) are \
            assembled and their space checked before anything is written; RedoxFS is written \
            through the engine directly, no mount is needed (--no-mount is accepted and means the \
            same). With SOURCE_DATE_EPOCH set, two runs give byte-identical images (unencrypted).

            With --esp-image and --redoxfs-image no configuration is used: OUTPUT (an image file, \
            replaced; neither input, and not while a redoxfs mount or tool writes it or the \
            RedoxFS input) becomes a \
            disk in the installer's layout assembled from the two ready partition images: \
            protective MBR (boot code zero), GPT (BIOS, EFI, REDOX partitions), the ESP at 1 MiB, \
            RedoxFS at 2 MiB (or the next MiB after a larger ESP), the backup GPT in the last MiB. \
            Nothing else is written before 1 MiB.
            """)

    @Option(name: [.short, .long], help: "The configuration file (includes are resolved relative to it).")
    var config: String?

    @Option(name: [.customShort("b"), .long], help: "A local build tree: packages from DIR/repo/<target>/, key DIR/build/id_ed25519.pub.toml.")
    var cookbook: String?

    @Option(name: .customLong("config-name"), help: "Adds VARIANT=\"NAME\" to /usr/lib/os-release.")
    var configName: String?

    @Option(name: [.customShort("o"), .customLong("output-config")], help: "Write the merged configuration to FILE and exit.")
    var outputConfig: String?

    @Option(name: .customLong("write-bootloader"), help: "Also write the UEFI bootloader to this host file.")
    var writeBootloader: String?

    @Flag(name: .customLong("skip-partition"), help: "No partition table or ESP: RedoxFS from byte 0.")
    var skipPartition = false

    @Flag(help: "Use the live bootloader files (bootloader-live.efi/.bios).")
    var live = false

    @Flag(name: .customLong("no-mount"), help: "Accepted for compatibility; the installer never mounts.")
    var noMount = false

    @Flag(name: .customLong("filesystem-size"), help: "Print general.filesystem_size (MiB, 0 when unset) and exit.")
    var printFilesystemSize = false

    @Flag(name: [.short, .customLong("list-packages")], help: "Print the packages to install, one per line, and exit.")
    var listPackages = false

    @Flag(name: .customLong("list-disks"), help: "List block devices (size, model, partitions) and exit.")
    var listDisks = false

    @Flag(help: "Install onto a block device even if it holds partitions.")
    var force = false

    @Flag(name: .customLong("skip-packages"), help: "Leave out the configuration's packages (no repository needed).")
    var skipPackages = false

    @Flag(name: .customLong("repo-binary"), help: .hidden)
    var repoBinary = false

    @Flag(name: .shortAndLong, help: "List ignored configuration keys and what is done.")
    var verbose = false

    @Flag(name: .customLong("no-progress"), help: "No progress bar.")
    var noProgress = false

    @Option(name: .customLong("esp-image"), help: "Assemble OUTPUT from this ready ESP image (needs --redoxfs-image).")
    var espImage: String?

    @Option(name: .customLong("redoxfs-image"), help: "Assemble OUTPUT from this ready RedoxFS volume (needs --esp-image).")
    var redoxFSImage: String?

    @Argument(help: "The image file or block device to write.")
    var output: String?

    func run() throws {
        // A write to a pipe whose reader is gone (--write-bootloader >(cmd)) fails with EPIPE,
        // an error the installer reports (a new image removed), instead of killing it silently.
        signal(SIGPIPE, SIG_IGN)
        do {
            try install()
        } catch {
            printError("redox-installer: \(error)")
            throw ExitCode.failure
        }
    }

    func install() throws(InstallerError) {
        if listDisks {
            let disks = BlockDevices.list()
            if disks.isEmpty { print("no block devices found") }
            for disk in disks {
                let table = disk.tableType.isEmpty ? "no partition table" : disk.tableType
                let mounted = disk.mounted.isEmpty ? "" : ", mounted at \(disk.mounted.joined(separator: " "))"
                print("\(disk.path)\t\(ByteSize.describe(disk.size))\t\(disk.model.isEmpty ? "-" : disk.model)\t\(table)\(mounted)")
                for partition in disk.partitions { print("  \(partition)") }
            }
            return
        }
        if espImage != nil || redoxFSImage != nil {
            try assemble()
            return
        }
        var configuration = Configuration()
        if let config {
            let loader = try ConfigurationLoader(path: config)
            configuration = loader.configuration
            if verbose {
                for unknown in loader.unknownKeys { printError("redox-installer: \(unknown.file): ignored key \(unknown.key)") }
            }
        }
        if let cookbook {
            guard isDirectory(cookbook) else {
                printError("installer: \(cookbook): cookbook not found")
                throw .other("\(cookbook): cookbook not found")
            }
            configuration.general.cookbook = cookbook
        }
        let merged = configuration
        if let outputConfig {
            try writeText(ConfigurationWriter.text(merged), to: outputConfig)
            return
        }
        if printFilesystemSize {
            print(configuration.general.filesystemSize ?? 0)
            return
        }
        if listPackages {
            for name in configuration.installedPackageNames { print(name) }
            return
        }
        guard let output else {
            printError(RedoxInstaller.helpMessage())
            throw .other("no output given")
        }
        if let writeBootloader { configuration.general.writeBootloader = writeBootloader }
        if skipPartition { configuration.general.skipPartitions = true }
        if live { configuration.general.liveDisk = true }
        if noMount { configuration.general.noMount = true }
        let target = String(cString: getenv("TARGET") ?? strdup("x86_64-unknown-redox"))
        var buildID: String?
        if let cookbook = configuration.general.cookbook {
            buildID = LocalRepository.buildID(cookbook: cookbook, target: target)
        }
        configuration.addImageRecords(original: merged, configName: configName, buildID: buildID)

        var options = InstallOptions(configuration: configuration, output: output)
        options.target = target
        options.force = force
        options.skipPackages = skipPackages
        options.showProgress = !noProgress
        if let epoch = getenv("SOURCE_DATE_EPOCH") {
            guard let value = UInt64(String(cString: epoch)) else { throw .other("SOURCE_DATE_EPOCH is not a number of seconds") }
            options.sourceDateEpoch = value
        }
        if let cookbook = configuration.general.cookbook {
            options.packageSource = LocalRepository(cookbook: cookbook, target: target)
        }
        options.askPassword = { (user: String) throws(InstallerError) -> String in
            do {
                return String(decoding: try PasswordInput.readNew(
                    file: nil, prompt: "Password for user \(user): ", confirmation: "Confirm password for \(user): "), as: UTF8.self)
            } catch {
                throw .other("cannot read a password for user \(user): \(error)")
            }
        }
        let verbose = self.verbose
        options.log = { line in if verbose || line.hasPrefix("warning") { printError("redox-installer: \(line)") } }
        let report = try Installer(options: options).install()
        if verbose {
            print("redox-installer: wrote \(output): \(report.diskBytes >> 20) MiB, RedoxFS \(report.uuid) at byte \(report.redoxFSOffset) (\(report.redoxFSBytes >> 20) MiB), \(report.nodes) nodes, \(report.contentBytes) bytes of content")
        }
    }

    /// The --esp-image/--redoxfs-image mode: a disk from ready partition images.
    func assemble() throws(InstallerError) {
        guard let espImage, let redoxFSImage else { throw .other("--esp-image and --redoxfs-image go together") }
        guard let output else { throw .other("no output given") }
        guard config == nil, cookbook == nil, !skipPartition, !live else {
            throw .other("--esp-image/--redoxfs-image take no configuration, cookbook, --skip-partition or --live")
        }
        let disk = try PartitionImageDisk(espImage: espImage, redoxFSImage: redoxFSImage)
        var randomness = Randomness(seed: nil)
        if let epoch = getenv("SOURCE_DATE_EPOCH") {
            guard let value = UInt64(String(cString: epoch)) else { throw .other("SOURCE_DATE_EPOCH is not a number of seconds") }
            randomness = .reproducible(configurationText: "partition images \(disk.espBytes) \(disk.redoxFSBytes)", epoch: value)
        }
        try disk.write(to: output, randomness: randomness)
        if verbose {
            print("redox-installer: wrote \(output): \(disk.layout.diskBytes >> 20) MiB, ESP at byte \(disk.layout.efiOffset), RedoxFS at byte \(disk.layout.redoxOffset)")
        }
    }

    func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Writes `text` to `path` (--output-config). fputs only buffers: the write itself happens at
    /// the flush (or the close), whose failure (ENOSPC, /dev/full, a pipe whose reader has gone)
    /// is the error.
    func writeText(_ text: String, to path: String) throws(InstallerError) {
        guard let file = fopen(path, "w") else { throw .host(operation: "create", path: path, errno: errno) }
        guard fputs(text, file) >= 0, fflush(file) == 0 else {
            let code = errno
            fclose(file)
            throw .host(operation: "write", path: path, errno: code)
        }
        guard fclose(file) == 0 else { throw .host(operation: "write", path: path, errno: errno) }
    }
}

RedoxInstaller.main()
