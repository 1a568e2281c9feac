#if canImport(Glibc)
import Glibc
#endif
import CBlkid

/// One partition of a disk, as libblkid reads the partition table (GPT or MBR).
public struct DiskPartition: Equatable, Sendable {
    /// The number the partition table gives it (the N of /dev/sdaN).
    public var number: Int
    public var byteOffset: UInt64
    public var byteLength: UInt64
    /// The GPT partition uuid (PARTUUID), lowercase; nil for MBR entries without one.
    public var uuid: String?
    /// The GPT partition name, if any.
    public var name: String?

    /// The region of `disk` this partition covers.
    public func region(of disk: String) -> DeviceRegion {
        DeviceRegion(path: disk, byteOffset: byteOffset, byteLength: byteLength, partition: number)
    }

    /// The partitions of the disk or image at `path` (empty when it has no partition table).
    public static func list(in path: String) throws(DeviceLocator.Failure) -> [DiskPartition] {
        guard let probe = blkid_new_probe_from_filename(path) else {
            throw DeviceLocator.Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { blkid_free_probe(probe) }
        blkid_probe_enable_partitions(probe, 1)
        blkid_probe_set_partitions_flags(probe, Int32(BLKID_PARTS_ENTRY_DETAILS))
        guard let list = blkid_probe_get_partitions(probe) else { return [] }
        var result: [DiskPartition] = []
        let count = blkid_partlist_numof_partitions(list)
        guard count > 0 else { return [] }
        for n in 0..<count {
            guard let partition = blkid_partlist_get_partition(list, n) else { continue }
            let start = blkid_partition_get_start(partition)
            let size = blkid_partition_get_size(partition)
            guard start >= 0, size > 0 else { continue }
            result.append(DiskPartition(
                number: Int(blkid_partition_get_partno(partition)),
                byteOffset: UInt64(start) * 512, byteLength: UInt64(size) * 512,
                uuid: blkid_partition_get_uuid(partition).map { DeviceLocator.normalize(String(cString: $0)) },
                name: blkid_partition_get_name(partition).map { String(cString: $0) }))
        }
        return result
    }
}
