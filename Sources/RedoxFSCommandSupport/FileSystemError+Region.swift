import RedoxFS
import RedoxFSFormat

extension FileSystemError {
    /// The error in words about the file system in `region`: `message(about:)` of its path, with
    /// the partition named too (`disk.img (partition 3): ...`) unless a system error about the
    /// path names the path itself.
    public func message(about region: DeviceRegion) -> String {
        if case .system(_, region.path, _) = self { return message(about: region.path) }
        return "\(region.name): \(description)"
    }

    /// This error from opening the file system in `region` on `device` (the region opened) from
    /// `startBlock` (nil: the header scan finds the ring): a file system larger than its
    /// partition says how large each is and what to do; any other error is itself. Meant for
    /// `message(about: region)`, which names the disk and partition.
    public func explained(region: DeviceRegion, device: FileDevice, startBlock: UInt64?) -> FileSystemError {
        guard case .format(.malformed(.header, _, .largerThanDevice)) = self,
            region.partition != nil, let length = region.byteLength
        else { return self }
        var device = device
        guard let location = try? HeaderRing.locate(on: &device, startBlock: startBlock, deviceBlocks: device.blockCount)
        else { return self }
        let (bytes, overflow) = location.header.blockCount.multipliedReportingOverflow(by: UInt64(RedoxFS.blockSize))
        guard !overflow else { return self }
        let place = region.offsetInPartition == 0
            ? "the partition (\(length) bytes)"
            : "the \(length) bytes from offset \(region.offsetInPartition) of the partition"
        return .invalidArgument(
            "the file system (\(bytes) bytes) is larger than \(place): fix the partition table, or redoxfs-fsck -y "
                + "shrinks it to fit")
    }
}
