import RedoxFS

/// Where a file system lies: a file or block device, and the byte range inside it.
public struct DeviceRegion: Equatable, Sendable {
    public var path: String
    public var byteOffset: UInt64
    /// The region's length; nil means to the end of the file.
    public var byteLength: UInt64?
    /// The number of the partition of `path` the region lies in, when it is one partition of a
    /// disk (as in /dev/sdaN); nil for the whole file.
    public var partition: Int?
    /// How far into its partition the region starts (what `--offset` asked for); 0 for the
    /// whole partition or file.
    public var offsetInPartition: UInt64 = 0

    public init(path: String, byteOffset: UInt64 = 0, byteLength: UInt64? = nil, partition: Int? = nil) {
        self.path = path
        self.byteOffset = byteOffset
        self.byteLength = byteLength
        self.partition = partition
    }

    /// The region for people: the path, and the partition when it is one (`disk.img (partition 3)`).
    public var name: String {
        guard let partition else { return path }
        return "\(path) (partition \(partition))"
    }

    /// The region `byteOffset` bytes further in (what `--offset` asks for inside a partition);
    /// nil when that lies past the region's end, or past the largest byte offset.
    public func advanced(by byteOffset: UInt64) -> DeviceRegion? {
        guard byteOffset > 0 else { return self }
        var region = self
        if let byteLength {
            guard byteOffset < byteLength else { return nil }
            region.byteLength = byteLength - byteOffset
        }
        let (start, overflow) = self.byteOffset.addingReportingOverflow(byteOffset)
        guard !overflow else { return nil }
        region.byteOffset = start
        if partition != nil { region.offsetInPartition = start - (self.byteOffset - offsetInPartition) }
        return region
    }

    /// Opens the region as a device that ends where the region does.
    public func open(readOnly: Bool) throws(FileSystemError) -> FileDevice {
        try FileDevice.open(path: path, readOnly: readOnly, byteOffset: byteOffset, byteLength: byteLength)
    }
}
