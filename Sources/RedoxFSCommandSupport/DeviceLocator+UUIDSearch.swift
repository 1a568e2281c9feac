#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSFormat

/// The uuid search: GPT partition uuids first, then the uuid in RedoxFS headers.
extension DeviceLocator {
    /// Looks in `path` (the whole of it, then each partition) for the file system or GPT partition
    /// `uuid` (normalised). A file system found in the whole file is opened in the partition its
    /// header ring lies in (one at 1 MiB lies in the first 2 MiB the header scan reads): see
    /// `region(of:among:in:)`.
    static func search(_ path: String, for uuid: String) -> DeviceRegion? {
        let partitions = (try? DiskPartition.list(in: path)) ?? []
        if let partition = partitions.first(where: { $0.uuid == uuid }) { return partition.region(of: path) }
        if let found = fileSystem(in: DeviceRegion(path: path)), found.uuid == uuid {
            return region(of: found, among: partitions, in: path)
        }
        for partition in partitions {
            let region = partition.region(of: path)
            if fileSystem(in: region)?.uuid == uuid { return region }
        }
        return nil
    }

    /// Where to open `found`, a file system the whole of `path` holds: the smallest partition its
    /// ring lies in (an MBR extended partition holds its logical ones) when the file system fits
    /// in it; else the whole file when the file system fits there and reaches no partition but
    /// those holding its ring (a plain image whose boot code carries a stray partition entry);
    /// else that partition still, whose open says the file system is larger than it. The whole
    /// file when its ring lies in no partition.
    static func region(of found: FoundFileSystem, among partitions: [DiskPartition], in path: String) -> DeviceRegion {
        let ring = found.ringOffset
        let holders = partitions.filter { $0.byteOffset <= ring && ring - $0.byteOffset < $0.byteLength }
        let whole = DeviceRegion(path: path)
        guard let holder = holders.min(by: { $0.byteLength < $1.byteLength }) else { return whole }
        guard let end = found.end else { return holder.region(of: path) }
        if end - holder.byteOffset <= holder.byteLength { return holder.region(of: path) }
        let reachesAnother = partitions.contains { partition in
            !holders.contains(partition) && partition.byteOffset < end
                && (partition.byteOffset >= ring || partition.byteLength > ring - partition.byteOffset)
        }
        return end <= found.deviceEnd && !reachesAnother ? whole : holder.region(of: path)
    }

    /// A RedoxFS file system a header scan found.
    struct FoundFileSystem {
        /// The uuid, formatted as the tools print it.
        var uuid: String
        /// The byte offset of the ring's slot 0 in the file.
        var ringOffset: UInt64
        /// The byte offset in the file where the file system ends (the header's block count from
        /// the ring); nil when that overflows.
        var end: UInt64?
        /// The byte offset in the file where the scanned region ends.
        var deviceEnd: UInt64
    }

    /// The RedoxFS file system whose header ring lies in the first 2 MiB of `region`.
    static func fileSystem(in region: DeviceRegion) -> FoundFileSystem? {
        guard var device = try? FileDevice.open(
            path: region.path, readOnly: true, byteOffset: region.byteOffset, byteLength: region.byteLength)
        else { return nil }
        defer { device.close() }
        let limit = min(device.blockCount, 512)
        guard let location = try? HeaderRing.locate(on: &device, startBlock: nil, deviceBlocks: limit) else { return nil }
        let blockSize = UInt64(RedoxFS.blockSize)
        let ringOffset = region.byteOffset + location.startBlock * blockSize
        let (bytes, overflow) = location.header.blockCount.multipliedReportingOverflow(by: blockSize)
        let (end, endOverflow) = ringOffset.addingReportingOverflow(bytes)
        let (deviceBytes, deviceOverflow) = device.blockCount.multipliedReportingOverflow(by: blockSize)
        let (deviceEnd, deviceEndOverflow) = region.byteOffset.addingReportingOverflow(deviceBytes)
        return FoundFileSystem(
            uuid: FileSystem.format(uuid: location.header.uuid), ringOffset: ringOffset,
            end: overflow || endOverflow ? nil : end,
            deviceEnd: deviceOverflow || deviceEndOverflow ? UInt64.max : deviceEnd)
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
