#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSFormat

/// The uuid search: GPT partition uuids first, then the uuid in RedoxFS headers.
extension DeviceLocator {
    /// Looks in `path` (the whole of it, then each partition) for the file system or GPT partition
    /// `uuid` (normalised). A file system found in the whole file whose header ring lies inside a
    /// partition (one at 1 MiB lies in the first 2 MiB the header scan reads) is that partition's.
    static func search(_ path: String, for uuid: String) -> DeviceRegion? {
        let partitions = (try? DiskPartition.list(in: path)) ?? []
        if let partition = partitions.first(where: { $0.uuid == uuid }) { return partition.region(of: path) }
        let whole = DeviceRegion(path: path)
        if let found = fileSystem(in: whole), found.uuid == uuid {
            let ring = found.ringOffset
            let holder = partitions.first { $0.byteOffset <= ring && ring - $0.byteOffset < $0.byteLength }
            return holder?.region(of: path) ?? whole
        }
        for partition in partitions {
            let region = partition.region(of: path)
            if fileSystem(in: region)?.uuid == uuid { return region }
        }
        return nil
    }

    /// The uuid of the RedoxFS file system whose header ring lies in the first 2 MiB of `region`,
    /// and the byte offset of the ring's slot 0 in `region`'s file.
    static func fileSystem(in region: DeviceRegion) -> (uuid: String, ringOffset: UInt64)? {
        guard var device = try? FileDevice.open(
            path: region.path, readOnly: true, byteOffset: region.byteOffset, byteLength: region.byteLength)
        else { return nil }
        defer { device.close() }
        let limit = min(device.blockCount, 512)
        guard let location = try? HeaderRing.locate(on: &device, startBlock: nil, deviceBlocks: limit) else { return nil }
        let ringOffset = region.byteOffset + location.startBlock * UInt64(RedoxFS.blockSize)
        return (FileSystem.format(uuid: location.header.uuid), ringOffset)
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
}
