#if canImport(Glibc)
import Glibc
#endif
import CBlkid
import RedoxFS
import RedoxFSFormat

/// Where a file system lies: a file or block device, and the byte range inside it.
public struct DeviceRegion: Equatable, Sendable {
    public var path: String
    public var byteOffset: UInt64
    /// The region's length; nil means to the end of the file.
    public var byteLength: UInt64?

    public init(path: String, byteOffset: UInt64 = 0, byteLength: UInt64? = nil) {
        self.path = path
        self.byteOffset = byteOffset
        self.byteLength = byteLength
    }
}

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
}

/// Finds the region to mount: a whole image, partition N of a disk, or the file system or
/// partition with a given uuid.
public enum DeviceLocator {
    /// An error finding the file system, with a message for the user.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The region `configuration` names.
    public static func locate(_ configuration: MountConfiguration) throws(Failure) -> DeviceRegion {
        switch configuration.source {
        case .path(let path):
            guard let number = configuration.partition else {
                return DeviceRegion(path: path, byteOffset: configuration.byteOffset)
            }
            let partitions = try self.partitions(of: path)
            guard let partition = partitions.first(where: { $0.number == number }) else {
                let known = partitions.map { String($0.number) }.joined(separator: ", ")
                throw Failure(description: "\(path) has no partition \(number)" + (known.isEmpty ? " (no partition table found)" : " (it has \(known))"))
            }
            return DeviceRegion(
                path: path, byteOffset: partition.byteOffset + configuration.byteOffset,
                byteLength: partition.byteLength - min(partition.byteLength, configuration.byteOffset))
        case .uuid(let uuid, let disk):
            let wanted = normalize(uuid)
            let candidates = disk.map { [$0] } ?? blockDevices()
            for candidate in candidates {
                if let region = search(candidate, for: wanted) { return region }
            }
            let scope = disk ?? "any block device"
            throw Failure(description: "no RedoxFS file system or partition with uuid \(uuid) in \(scope)")
        }
    }

    /// The partitions of the disk or image at `path` (empty when it has no partition table).
    public static func partitions(of path: String) throws(Failure) -> [DiskPartition] {
        guard let probe = blkid_new_probe_from_filename(path) else {
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
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
                uuid: blkid_partition_get_uuid(partition).map { normalize(String(cString: $0)) },
                name: blkid_partition_get_name(partition).map { String(cString: $0) }))
        }
        return result
    }

    /// Looks in `path` (the whole of it, then each partition) for the file system or GPT partition `uuid`.
    static func search(_ path: String, for uuid: String) -> DeviceRegion? {
        let partitions = (try? self.partitions(of: path)) ?? []
        if let partition = partitions.first(where: { $0.uuid == uuid }) {
            return DeviceRegion(path: path, byteOffset: partition.byteOffset, byteLength: partition.byteLength)
        }
        let whole = DeviceRegion(path: path)
        if fileSystemUUID(in: whole) == uuid { return whole }
        for partition in partitions {
            let region = DeviceRegion(path: path, byteOffset: partition.byteOffset, byteLength: partition.byteLength)
            if fileSystemUUID(in: region) == uuid { return region }
        }
        return nil
    }

    /// The uuid of the RedoxFS file system whose header ring lies in the first 2 MiB of `region`.
    static func fileSystemUUID(in region: DeviceRegion) -> String? {
        guard var device = try? FileDevice.open(
            path: region.path, readOnly: true, byteOffset: region.byteOffset, byteLength: region.byteLength)
        else { return nil }
        defer { device.close() }
        let limit = min(device.blockCount, 512)
        guard let location = try? HeaderRing.locate(on: &device, startBlock: nil, deviceBlocks: limit) else { return nil }
        return FileSystem.format(uuid: location.header.uuid)
    }

    /// Every block device the kernel lists (whole disks and partitions), as /dev paths.
    static func blockDevices() -> [String] {
        guard let file = fopen("/proc/partitions", "r") else { return [] }
        defer { fclose(file) }
        var devices: [String] = []
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard fields.count == 4, Int(fields[0]) != nil else { continue }
            devices.append("/dev/" + fields[3])
        }
        return devices
    }

    /// Lowercase, and without braces, so uuids compare as text.
    static func normalize(_ uuid: String) -> String {
        String(uuid.lowercased().filter { $0 != "{" && $0 != "}" })
    }
}
