import ArgumentParser
import RedoxFS

/// Options shared by every tool that opens an existing image: the image, which file system in it
/// (`--partition`, `--uuid`, `--offset`, `--block`), and the password file.
public struct ImageOptions: ParsableArguments {
    @Argument(help: "The RedoxFS image file or block device (or a disk with --partition or --uuid).")
    public var image: String

    @Option(name: .long, help: "Read the password of an encrypted image from this file.")
    public var passwordFile: String?

    @OptionGroup public var location: LocationOptions

    @Option(name: .long, help: "Byte offset of the file system inside the image, or inside the partition.")
    public var offset: UInt64 = 0

    @Option(name: .long, help: "Block (4096 bytes, hexadecimal) where the header ring starts; default: scan.")
    public var block: String?

    public init() {}

    /// The region of the image the options name (`DeviceLocator.locate(path:partition:uuid:byteOffset:)`):
    /// the tools open it with its length, so nothing past a partition's end is read or written.
    public func region() throws(DeviceLocator.Failure) -> DeviceRegion {
        try location.region(of: image, byteOffset: offset)
    }

    /// `region()`, or the tool `tool` exits with status 1 and the error (it names the disk).
    public func regionOrExit(tool: String) -> DeviceRegion {
        do {
            return try region()
        } catch {
            exitWithError(tool, error.description)
        }
    }

    /// The start block given with `--block`, or nil (scan).
    public func startBlock() throws(FileSystemError) -> UInt64? {
        guard let block else { return nil }
        guard let value = UInt64(block.hasPrefix("0x") ? String(block.dropFirst(2)) : block, radix: 16) else {
            throw .invalidArgument("--block takes a hexadecimal block number, not '\(block)'")
        }
        return value
    }
}
