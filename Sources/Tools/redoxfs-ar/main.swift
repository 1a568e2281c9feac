import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSTools

/// `redoxfs-ar DISK FOLDER [BOOTLOADER]`: makes a new file system on DISK holding a copy of FOLDER.
struct Archive: ParsableCommand {
    static let tool = "redoxfs-ar"

    static let configuration = CommandConfiguration(
        commandName: tool,
        abstract: "Make a RedoxFS file system on DISK holding a copy of a host folder.",
        discussion: """
            The folder is checked first: names over 252 bytes, names that are not UTF-8 or contain \
            ':', and files of unknown type are reported (every one of them) and nothing is written. \
            Then DISK is formatted (as redoxfs-mkfs) and the tree is streamed in, in byte order of \
            names: hard links stay hard links, sparse files stay sparse, FIFOs, sockets and device \
            nodes (with their device numbers) are copied, modes, owners, mtimes and atimes are \
            kept exactly (ctime is the host ctime), and "/" takes the folder's mode, \
            owner and times. Memory stays bounded whatever the tree's size. DISK must exist unless \
            --size is given; it is cut to whole blocks at the end, as upstream does.
            """)

    @Flag(help: "Encrypt the file system (upstream's redoxfs-ar cannot).")
    var encrypt = false

    @Option(help: "Read the password from this file (implies --encrypt).")
    var passwordFile: String?

    @Option(help: "Create DISK, or grow it, to this size first (e.g. 1GiB).")
    var size: String?

    @Option(help: "Record size of the regular files: 4k, 8k, 16k, 32k, 64k or 128k (default 128k, as upstream); smaller suits files read and written at random (databases, VM images).")
    var recordSize: String?

    @Flag(name: .long, help: "Leave the root directory with mkfs's metadata (as upstream) instead of the folder's.")
    var keepRootMetadata = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Argument(help: "The image file or block device.")
    var disk: String

    @Argument(help: "The host folder to copy.")
    var folder: String

    @Argument(help: "A bootloader to place in front of the file system.")
    var bootloader: String?

    func validate() throws {
        if let size, ByteSize.parse(size) == nil { throw ValidationError("--size: '\(size)' is not a size") }
        if let recordSize, RecordSize(parsing: recordSize) == nil {
            throw ValidationError("--record-size takes 4k, 8k, 16k, 32k, 64k or 128k (or that many bytes), not '\(recordSize)'")
        }
    }

    func run() throws {
        // 1. Check the whole tree before touching DISK, keeping what was read for the copy.
        let excluded = DiskFile.inode(disk)
        var scanner = HostTreeScanner(excluding: excluded)
        let plan: HostTreePlan
        do {
            plan = try scanner.plan(folder)
        } catch {
            exitWithError(Self.tool, "\(error)")
        }
        let summary = plan.summary
        for path in summary.skipped where !quiet {
            printError("\(Self.tool): skipping \(path): it is the image being written")
        }

        // 2. Format, then stream the tree in.
        var bar: ProgressBar?
        do {
            // Locked (whole file) before --size grows it, until the file system is closed.
            let device = try DiskFile.prepare(disk, size: size.flatMap(ByteSize.parse))
            let password = try PasswordInput.readNew(for: device, encrypt: encrypt, file: passwordFile, tool: Self.tool)
            let fs = try DiskFormatter.format(device, bootloaderPath: bootloader, password: password)
            if let recordSize, let chosen = RecordSize(parsing: recordSize) { fs.fileRecordSize = chosen }
            // The image may have been created just now (--size) inside the folder.
            let archiver = Archiver(fileSystem: fs, excluding: DiskFile.inode(disk))
            archiver.copyRootMetadata = !keepRootMetadata
            if !quiet {
                bar = ProgressBar(label: "archiving", totalBytes: summary.bytes, totalItems: summary.entries)
            }
            if let bar { archiver.progress = { bar.update($0) } }
            do {
                try archiver.archive(folder, plan: plan)
            } catch {
                bar?.clear()
                fs.close()
                exitWithError(Self.tool, "\(error)\n\(disk) holds a consistent file system with the part copied so far")
            }
            bar?.finish(archiver.copied)
            let line = DiskFormatter.summary(tool: Self.tool, disk: disk, fileSystem: fs)
            let end = (fs.startBlock + fs.header.blockCount) * UInt64(RedoxFS.blockSize)
            // Cut while the file system (and its lock) is still open, as redoxfs-resize does:
            // after the unmount another writer could take the lock first.
            if DiskFile.isRegularFile(disk), try DiskFile.length(disk) > end {
                do {
                    try DiskFile.setLength(disk, end)
                } catch {
                    // The file system is whole; only the file's tail past it stays.
                    try? fs.unmount()
                    throw error
                }
            }
            try fs.unmount()
            if !quiet { print(line) }
        } catch {
            bar?.clear()
            exitWithError(Self.tool, image: disk, error)
        }
    }
}

Archive.main()
