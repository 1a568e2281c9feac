#if canImport(Glibc)
import Glibc
#endif
import CBlkid

/// Block devices of the host, read through libblkid (size, partition table and partitions) and
/// sysfs (model), and the checks made before installing onto one.
public enum BlockDevices {
    /// One whole disk.
    public struct Disk: Sendable {
        public var path: String
        public var size: UInt64
        public var model: String
        /// Partition table type ("gpt", "dos") or "".
        public var tableType: String
        public var partitions: [String]
        public var mounted: [String]
    }

    /// Whole disks of /sys/block with a non-zero size (ram and zram devices left out; loop
    /// devices only while attached).
    public static func list() -> [Disk] {
        guard let directory = opendir("/sys/block") else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") || name.hasPrefix("ram") || name.hasPrefix("zram") { continue }
            names.append(name)
        }
        return names.sorted().compactMap { name in
            if let disk = describe("/dev/" + name) { return disk }
            // Not probeable here (no device node, no permission): what sysfs says.
            guard let sectors = (try? HostFiles.readText("/sys/block/\(name)/size")).flatMap({ UInt64($0.filter(\.isNumber)) }),
                  sectors > 0 else { return nil }
            return Disk(path: "/dev/" + name, size: sectors * 512, model: model(name), tableType: "?", partitions: [], mounted: [])
        }
    }

    /// What libblkid says about `path`, or nil if it cannot be probed.
    public static func describe(_ path: String) -> Disk? {
        guard let probe = blkid_new_probe_from_filename(path) else { return nil }
        defer { blkid_free_probe(probe) }
        let size = blkid_probe_get_size(probe)
        guard size > 0 else { return nil }
        blkid_probe_enable_partitions(probe, 1)
        blkid_probe_set_partitions_flags(probe, Int32(BLKID_PARTS_ENTRY_DETAILS))
        var tableType = ""
        var partitions: [String] = []
        if blkid_do_safeprobe(probe) == 0 {
            var value: UnsafePointer<CChar>?
            var length = 0
            if blkid_probe_lookup_value(probe, "PTTYPE", &value, &length) == 0, let value { tableType = String(cString: value) }
            if let list = blkid_probe_get_partitions(probe) {
                let count = blkid_partlist_numof_partitions(list)
                for index in 0..<max(count, 0) {
                    guard let partition = blkid_partlist_get_partition(list, index) else { continue }
                    let number = blkid_partition_get_partno(partition)
                    let separator = path.last?.isNumber == true ? "p" : ""
                    partitions.append("\(path)\(separator)\(number)")
                }
            }
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return Disk(path: path, size: UInt64(size), model: model(name), tableType: tableType, partitions: partitions,
                    mounted: mountedSources(of: path, partitions: partitions))
    }

    /// The model name sysfs gives for disk `name` ("" when none).
    static func model(_ name: String) -> String {
        let text = (try? HostFiles.readText("/sys/block/\(name)/device/model")) ?? ""
        return String(text.drop { $0 == " " }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
    }

    /// Mount points whose source is `path` or one of its partitions (from /proc/self/mounts).
    static func mountedSources(of path: String, partitions: [String]) -> [String] {
        guard let text = try? HostFiles.readText("/proc/self/mounts") else { return [] }
        let devices = Set([path] + partitions)
        var result: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { continue }
            let source = String(fields[0])
            // The device itself, a partition libblkid listed, or one named like a partition of it.
            let rest = source.hasPrefix(path) ? source.dropFirst(path.count) : ""
            let partitionLike = !rest.isEmpty && rest.drop { $0 == "p" }.allSatisfy(\.isNumber)
            if devices.contains(source) || partitionLike {
                result.append(String(fields[1]))
            }
        }
        return result
    }

    /// Refuses a mounted device, and one holding partitions unless `force`.
    public static func checkSafe(_ path: String, force: Bool) throws(InstallerError) {
        guard let disk = describe(path) else { throw .unsafeTarget("\(path): cannot probe the device (permission?)") }
        if !disk.mounted.isEmpty {
            throw .unsafeTarget("\(path) is mounted (\(disk.mounted.joined(separator: ", "))); unmount it first")
        }
        if !disk.partitions.isEmpty && !force {
            throw .unsafeTarget("\(path) holds \(disk.partitions.count) partitions (\(disk.tableType)): \(disk.partitions.joined(separator: " ")); use --force to overwrite them")
        }
    }
}
