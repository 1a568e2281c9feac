import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSTools

/// `redoxfs-resize DISK [SIZE]`: grows or shrinks the file system on DISK in place.
struct Resize: ParsableCommand {
    static let tool = "redoxfs-resize"

    static let configuration = CommandConfiguration(
        commandName: tool,
        abstract: "Grow or shrink a RedoxFS file system in place.",
        discussion: """
            SIZE is `min`/`minimum` (everything up to the last used block), `max`/`maximum` or \
            nothing (the whole device after the reserved area), or a size: K, M, G, T are powers \
            of 1000, Ki, Mi, Gi, Ti powers of 1024 (e.g. 500M, 2GiB). Unlike upstream, a size past \
            the end of an image file grows the file first, and shrinking cuts the file to the new \
            end (unless --keep-file-size, --offset or --partition is given, or the file system \
            --uuid names lies in a partition). In a partition (--partition, or --uuid of a file \
            system in one) the file system grows to the partition's end at most; the disk and its \
            partition table are left as they are.
            """)

    @OptionGroup var image: ImageOptions

    @Argument(help: "The new size: min, max (default) or a size such as 500M or 2GiB.")
    var size: String?

    @Flag(help: "Do not cut the image file after shrinking.")
    var keepFileSize = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    /// What SIZE asks for.
    enum Target {
        case minimum, maximum
        case bytes(UInt64)
    }

    func target() throws -> Target {
        switch size?.lowercased() {
        case nil, "", "max", "maximum": return .maximum
        case "min", "minimum": return .minimum
        default:
            guard let text = size, let bytes = ByteSize.parse(text) else {
                throw ValidationError("'\(size ?? "")' is not a size (try min, max, 500M or 2GiB)")
            }
            return .bytes(bytes)
        }
    }

    func validate() throws { _ = try target() }

    /// The length the image file needs for a file system of `blocks` blocks (SIZE, `bytes`) whose
    /// header ring starts at `startBlock` of `region`; past the largest file length is an error.
    static func fileLength(
        region: DeviceRegion, startBlock: UInt64, blocks: UInt64, bytes: UInt64
    ) throws(FileSystemError) -> UInt64 {
        let (end, overflow1) = startBlock.addingReportingOverflow(blocks)
        let (length, overflow2) = end.multipliedReportingOverflow(by: UInt64(RedoxFS.blockSize))
        let (needed, overflow3) = region.byteOffset.addingReportingOverflow(length)
        guard !overflow1, !overflow2, !overflow3, needed <= UInt64(Int64.max) else {
            throw .invalidArgument("\(ByteSize.describe(bytes)) is larger than any image file or device can be")
        }
        return needed
    }

    func run() throws {
        let disk = image.image
        let region = image.regionOrExit(tool: Self.tool)
        do {
            let blockSize = UInt64(RedoxFS.blockSize)
            let target = try target()
            // Grow the image file first when SIZE lies past its end, under the write lock, which
            // the grown device keeps until the file system is closed; a partition is never grown.
            var grown: FileDevice?
            if case .bytes(let bytes) = target {
                let location = try DiskFormatter.locateHeader(
                    region.path, byteOffset: region.byteOffset, byteLength: region.byteLength, startBlock: try image.startBlock())
                // In blocks first: SIZE may be as large as UInt64 allows.
                let blocks = bytes / blockSize
                if let length = region.byteLength {
                    let room = length / blockSize - min(length / blockSize, location.startBlock)
                    guard blocks <= room else {
                        let place = region.partition.map { "partition \($0)" } ?? "its region"
                        throw FileSystemError.invalidArgument(
                            "\(ByteSize.describe(bytes)) does not fit in \(place): the file system can grow to \(ByteSize.describe(room * blockSize)) at most")
                    }
                } else {
                    let needed = try Self.fileLength(
                        region: region, startBlock: location.startBlock, blocks: blocks, bytes: bytes)
                    if try DiskFile.length(disk) < needed {
                        guard DiskFile.isRegularFile(disk) else {
                            throw FileSystemError.invalidArgument("\(ByteSize.describe(bytes)) does not fit on the device")
                        }
                        grown = try DiskFile.grow(disk, to: needed, byteOffset: region.byteOffset)
                        if !quiet { print("grew \(disk) to \(needed) bytes") }
                    }
                }
            }

            let (fs, _) = try image.openKeepingPassword(region, readOnly: false, prompt: "\(Self.tool): password: ", device: grown)
            defer { fs.close() }
            try fs.cleanup()
            let minimum = try fs.minimumSize()
            let maximum = (fs.device.blockCount - fs.startBlock) * blockSize
            let requested: UInt64
            switch target {
            case .minimum: requested = minimum
            case .maximum: requested = maximum
            case .bytes(let bytes): requested = bytes / blockSize * blockSize
            }
            if !quiet {
                print("minimum size: \(ByteSize.describe(minimum))")
                print("maximum size: \(ByteSize.describe(maximum))")
                print("new size: \(ByteSize.describe(requested))")
            }
            guard requested >= minimum && requested <= maximum else {
                throw FileSystemError.invalidArgument(
                    "the new size must lie between \(ByteSize.describe(minimum)) and \(ByteSize.describe(maximum))")
            }
            let old = fs.header.blockCount * blockSize
            if !quiet {
                if requested > old {
                    print("growing by \(requested - old)")
                } else if requested < old {
                    print("shrinking by \(old - requested)")
                } else {
                    print("size unchanged")
                }
            }
            try fs.resize(to: requested)
            let (blocks, free) = try fs.statistics()
            let end = region.byteOffset + (fs.startBlock + blocks) * blockSize
            if !quiet {
                print("""
                    \(Self.tool): resized filesystem on \(region.name)
                    \tuuid: \(fs.uuidString)
                    \tsize: \(ByteSize.describe(blocks * blockSize))
                    \tused: \(ByteSize.describe((blocks - free) * blockSize))
                    \tfree: \(ByteSize.describe(free * blockSize))
                    """)
            }
            let wholeFile = region.byteOffset == 0 && region.byteLength == nil
            if requested < old, !keepFileSize, wholeFile, DiskFile.isRegularFile(disk), try DiskFile.length(disk) > end {
                try DiskFile.setLength(disk, end)
            }
        } catch {
            exitWithError(Self.tool, region: region, error)
        }
    }
}

Resize.main()
