#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSTools

/// Installs packages into a staged tree (the pkgar-based local repository, or a test double).
public protocol PackageSource {
    /// Resolves `names` with their dependencies and adds every verified entry to `tree`.
    func install(_ names: [String], into tree: StagedTree, log: (String) -> Void) throws(InstallerError)
}

/// How to install.
public struct InstallOptions {
    /// The merged configuration with command-line overrides applied.
    public var configuration: Configuration
    public var output: String
    /// The target triple (`TARGET`, default x86_64-unknown-redox).
    public var target = "x86_64-unknown-redox"
    /// Install onto a device that holds partitions.
    public var force = false
    /// SOURCE_DATE_EPOCH: times and derived identifiers (reproducible images).
    public var sourceDateEpoch: UInt64?
    /// Where packages come from (nil: packages cannot be installed).
    public var packageSource: PackageSource?
    /// Leave out packages instead of failing when there is no package source.
    public var skipPackages = false
    /// A password for a user without one in the configuration (asked when `prompt` is on).
    public var askPassword: ((String) throws(InstallerError) -> String)?
    /// Show a progress bar on a terminal.
    public var showProgress = true
    /// Informational lines.
    public var log: (String) -> Void = { _ in }

    public init(configuration: Configuration, output: String) {
        self.configuration = configuration
        self.output = output
    }
}

/// What an installation did.
public struct InstallReport: Sendable {
    public var diskBytes: UInt64
    public var redoxFSOffset: UInt64
    public var redoxFSBytes: UInt64
    public var neededBytes: UInt64
    public var uuid: String
    public var nodes: Int
    public var contentBytes: UInt64
    public var layout: DiskLayout?
}

/// The installer: stages the contents, checks the space, then writes the partition table, the
/// ESP and the RedoxFS (installer.md §3).
public struct Installer {
    public var options: InstallOptions

    public init(options: InstallOptions) {
        self.options = options
    }

    /// Derived from the configuration and SOURCE_DATE_EPOCH when set (GUIDs, uuid, salts, FAT
    /// volume id; an encrypted volume's key material stays random), else random.
    var randomness: Randomness {
        guard let epoch = options.sourceDateEpoch else { return Randomness(seed: nil) }
        return .reproducible(configurationText: ConfigurationWriter.text(options.configuration), epoch: epoch)
    }

    var time: Timestamp {
        if let epoch = options.sourceDateEpoch { return Timestamp(seconds: epoch, nanoseconds: 0) }
        return Timestamp.now()
    }

    /// Builds the image contents in memory (files, packages, postinstall files, users).
    public func stage() throws(InstallerError) -> StagedTree {
        let configuration = options.configuration
        let tree = StagedTree()
        for entry in configuration.files where !entry.postinstall {
            try FileEntryInstaller.apply(entry, to: tree)
        }
        let packages = configuration.installedPackageNames
        if !packages.isEmpty {
            if let source = options.packageSource {
                try source.install(packages, into: tree, log: options.log)
            } else if options.skipPackages {
                options.log("skipping \(packages.count) packages (no package repository): \(packages.joined(separator: " "))")
            } else {
                throw .other("the configuration lists \(packages.count) packages but no repository was given (use --cookbook DIR, or --skip-packages)")
            }
        }
        for entry in configuration.files where entry.postinstall {
            try FileEntryInstaller.apply(entry, to: tree)
        }
        let randomness = self.randomness
        let prompt = configuration.general.prompt ?? true
        let ask = options.askPassword
        try UserInstaller.apply(configuration, to: tree, password: { (name: String) throws(InstallerError) -> String in
            if let password = configuration.users[name]?.password { return password }
            if prompt, let ask { return try ask(name) }
            return ""
        }, saltNumber: { randomness.uint64("salt:\($0)") })
        return tree
    }

    /// The bootloader files the image carries (`usr/lib/boot/bootloader[-live].{efi,bios}`).
    public func bootloaders(in tree: StagedTree) throws(InstallerError) -> (efi: [UInt8], bios: [UInt8]) {
        let suffix = options.configuration.general.liveDisk == true ? "-live" : ""
        return (try contents(tree, "usr/lib/boot/bootloader\(suffix).efi"), try contents(tree, "usr/lib/boot/bootloader\(suffix).bios"))
    }

    private func contents(_ tree: StagedTree, _ path: String) throws(InstallerError) -> [UInt8] {
        guard let node = tree.node(at: path), node.kind == .file else { return [] }
        switch node.content {
        case .bytes(let bytes): return bytes
        case .hostFile(let host, _): return try HostFiles.read(host)
        case .external(let external):
            var bytes: [UInt8] = []
            try external.read { (chunk: UnsafeRawBufferPointer) throws(InstallerError) in bytes += chunk }
            return bytes
        }
    }

    /// The name of the UEFI loader on the ESP for the target.
    func efiFileName() throws(InstallerError) -> String {
        let arch = options.target.split(separator: "-").first.map(String.init) ?? ""
        switch arch {
        case "x86_64": return "BOOTX64.EFI"
        case "i586", "i686": return "BOOTIA32.EFI"
        case "aarch64": return "BOOTAA64.EFI"
        default: throw .other("no UEFI loader name for target \(options.target) (x86_64, i586/i686 and aarch64 are supported)")
        }
    }

    /// Runs the whole installation.
    @discardableResult
    public func install() throws(InstallerError) -> InstallReport {
        let general = options.configuration.general
        let target = try OutputTarget(path: options.output, filesystemSizeMiB: general.filesystemSize)
        if target.kind == .blockDevice {
            try BlockDevices.checkSafe(options.output, force: options.force)
        }
        let skip = general.skipPartitions == true
        let layout = DiskLayout(diskBytes: target.size, efiMiB: UInt64(general.efiPartitionSize ?? 1))
        let efiName = skip ? "" : try efiFileName()
        if !skip {
            guard general.efiPartitionSize ?? 1 >= 1 else { throw .other("efi_partition_size must be at least 1 MiB") }
            guard layout.isValid else { throw .imageTooSmall("the disk (\(target.size >> 20) MiB) is too small for an ESP of \(layout.efiMiB) MiB and a RedoxFS") }
        }

        // Everything that can fail is checked before the first write.
        let tree = try stage()
        let (efi, bios) = try bootloaders(in: tree)
        let redoxOffset = skip ? 0 : layout.redoxOffset
        let redoxBytes = skip ? (target.size + 511) / 512 * 512 : layout.redoxBytes
        let needed = SpaceEstimate.redoxFSBytes(for: tree)
        let overhead = target.size - redoxBytes
        if needed > redoxBytes {
            let mib = DiskLayout.mebibyte
            throw .noSpace(neededMiB: (needed + overhead + mib - 1) / mib, availableMiB: target.size / mib)
        }
        if !skip && bios.count > Int(layout.biosLastLBA + 1) * 512 {
            throw .other("the BIOS bootloader (\(bios.count) bytes) does not fit in front of the ESP")
        }
        let randomness = self.randomness
        let time = self.time
        let fat: FATFormatter? = skip ? nil : try FATFormatter(
            bytes: layout.efiBytes, volumeID: UInt32(truncatingIfNeeded: randomness.uint64("fat-volume-id")), unixTime: time.seconds)
        let fatWrites = try fat?.writes([
            .init(path: ["EFI"], contents: nil), .init(path: ["EFI", "BOOT"], contents: nil),
            .init(path: ["EFI", "BOOT", efiName], contents: efi),
        ])
        if efi.isEmpty && !skip {
            options.log("warning: the image holds no usr/lib/boot/bootloader\(general.liveDisk == true ? "-live" : "").efi; EFI/BOOT/\(efiName) is empty and the disk will not boot by UEFI")
        }

        let fd = try target.open()
        defer { close(fd) }
        // A new image made for this installation is removed by any failure until it is synced
        // (a refusal, a format or write error, ENOSPC, a changed package archive); an existing
        // image or device is left as far as it was written.
        var synced = false
        defer { if !synced { target.removeNewImage(fd) } }
        let writer = OutputWriter(fd: fd, path: options.output)
        // The RedoxFS partition's device first: its write lock refuses an output whose file
        // system a mount or a tool is writing, before anything is written.
        let device: FileDevice
        do {
            device = try FileDevice.open(path: options.output, readOnly: false, byteOffset: redoxOffset, byteLength: redoxBytes)
        } catch {
            throw InstallerError.engine(options.output, error)
        }
        // Closed on every way out until the file system takes it over (a library caller that
        // goes on after an error must not keep the lock and the descriptors).
        var unformatted: FileDevice? = device
        defer { unformatted?.close() }
        // The whole output is replaced: on the device's own open file description (so it extends
        // that lock), refused while a file system anywhere in the old content (an old partition
        // at another offset) has a writer.
        do {
            try FileDevice.lockWholeFileForWriting(descriptor: device.descriptor, path: options.output, operation: "replace")
        } catch {
            throw InstallerError.engine(options.output, error)
        }
        // The write_bootloader file only now that the output may be replaced, and before it is
        // written: a refusal of either leaves both as they were (a new image is removed). A
        // failure after it (writing the output) leaves it replaced.
        if let path = general.writeBootloader {
            try writeBootloader(efi, to: path, output: fd)
        }
        if !skip {
            // BIOS blob (the hook for BIOS boot), then the protective MBR, the GPT and the ESP.
            if !bios.isEmpty { try writer.write(bios, at: 0) }
            let gpt = layout.gpt(diskGUID: randomness.guid("disk"), uniqueGUIDs: [
                randomness.guid("partition:BIOS"), randomness.guid("partition:EFI"), randomness.guid("partition:REDOX"),
            ])
            let sector0 = bios.isEmpty ? [UInt8](repeating: 0, count: 512) : try writer.read(512, at: 0)
            try writer.writePartitionTables(gpt, sector0: sector0)
            if bios.isEmpty || bios.count < 34 * 512 {
                // Clear the BIOS boot partition (stale bytes of an earlier image would stay otherwise).
                try writer.write([UInt8](repeating: 0, count: Int(layout.biosLastLBA + 1 - 34) * 512), at: 34 * 512)
            }
            for write in fatWrites ?? [] { try writer.write(write.bytes, at: layout.efiOffset + write.offset) }
        }

        var format = FormatOptions(password: general.encryptDisk.map { Array($0.utf8) }, uuid: Randomness.uuidBytes(randomness.bytes("redoxfs-uuid")), time: time)
        if general.encryptDisk == "" { format.password = nil }
        let fileSystem: FileSystem
        do {
            fileSystem = try FileSystem.format(device: device, options: format)
        } catch {
            throw InstallerError.engine(options.output, error)
        }
        unformatted = nil
        defer { fileSystem.close() }
        if options.sourceDateEpoch != nil { fileSystem.clock = { time } }
        let totals = tree.totals()
        var imageWriter = ImageWriter(fileSystem: fileSystem, time: time)
        let bar = options.showProgress ? ProgressBar(label: "installing", totalBytes: totals.bytes, totalItems: totals.nodes - 1) : nil
        imageWriter.progress = { bar?.update($0) }
        do {
            try imageWriter.write(tree)
        } catch {
            bar?.clear()
            throw error
        }
        bar?.finish(imageWriter.copied)
        if fsync(fd) != 0 && errno != EINVAL { throw .host(operation: "sync", path: options.output, errno: errno) }
        synced = true
        return InstallReport(
            diskBytes: target.size, redoxFSOffset: redoxOffset, redoxFSBytes: redoxBytes, neededBytes: needed,
            uuid: fileSystem.uuidString, nodes: totals.nodes, contentBytes: totals.bytes, layout: skip ? nil : layout)
    }
}
