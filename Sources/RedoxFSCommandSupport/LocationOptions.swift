import ArgumentParser

/// `--partition N` and `--uuid U`, which name the file system's place in a disk; shared by the
/// tools that open an existing file system (`ImageOptions`, redoxfs-fsck).
public struct LocationOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Use partition N of the disk (GPT or MBR, numbered as in /dev/sdaN).", valueName: "n"))
    public var partition: Int?

    @Option(name: .long, help: "Use the RedoxFS file system, or the GPT partition, with this uuid in the disk.")
    public var uuid: String?

    public init() {}

    public func validate() throws {
        if let partition, partition < 1 { throw ValidationError("--partition takes a number from 1, not '\(partition)'") }
        if partition != nil, uuid != nil { throw ValidationError("--partition and --uuid cannot be combined") }
    }

    /// The region of `path` these options name, `byteOffset` bytes in
    /// (`DeviceLocator.locate(path:partition:uuid:byteOffset:)`).
    public func region(of path: String, byteOffset: UInt64) throws(DeviceLocator.Failure) -> DeviceRegion {
        try DeviceLocator.locate(path: path, partition: partition, uuid: uuid, byteOffset: byteOffset)
    }
}
