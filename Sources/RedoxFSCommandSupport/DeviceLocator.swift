/// Finds the region a command names: a whole image (from a byte offset), partition N of a disk,
/// or the RedoxFS file system or GPT partition with a given uuid.
public enum DeviceLocator {
    /// An error finding the file system, with a message for the user (it names the disk).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// The region of `path` that `partition` or `uuid` names (at most one of them), `byteOffset`
    /// bytes in: the whole of `path` from `byteOffset` when neither is given; partition
    /// `partition` of the disk `path` (numbered as in /dev/sdaN); or the RedoxFS file system or
    /// GPT partition `uuid` (any case, braces allowed), searched for in `path`, or in every block
    /// device of the machine when `path` is nil. Inside a partition `byteOffset` counts from its
    /// start, and the region ends where the partition does.
    public static func locate(
        path: String?, partition: Int? = nil, uuid: String? = nil, byteOffset: UInt64 = 0
    ) throws(Failure) -> DeviceRegion {
        let region: DeviceRegion
        switch (path, partition, uuid) {
        case (_, _?, _?):
            throw Failure(description: "--partition and --uuid cannot be combined")
        case (let path?, nil, nil):
            return DeviceRegion(path: path, byteOffset: byteOffset)
        case (let path?, let number?, nil):
            let partitions = try DiskPartition.list(in: path)
            guard let found = partitions.first(where: { $0.number == number }) else {
                let known = partitions.map { String($0.number) }.joined(separator: ", ")
                throw Failure(
                    description: "\(path) has no partition \(number)"
                        + (known.isEmpty ? " (no partition table found)" : " (it has \(known))"))
            }
            region = found.region(of: path)
        case (nil, _?, nil), (nil, nil, nil):
            throw Failure(description: "no disk given")
        case (_, nil, let uuid?):
            region = try Self.region(withUUID: uuid, in: path)
        }
        guard let advanced = region.advanced(by: byteOffset) else {
            let place = region.partition.map { "partition \($0) of \(region.path)" } ?? region.path
            let length = region.byteLength.map { " (\($0) bytes)" } ?? ""
            throw Failure(description: "offset \(byteOffset) lies past the end of \(place)\(length)")
        }
        return advanced
    }

    /// The region holding the file system or GPT partition `uuid`: in `disk`, else in the first
    /// block device of the machine that has it.
    static func region(withUUID uuid: String, in disk: String?) throws(Failure) -> DeviceRegion {
        let wanted = normalize(uuid)
        for candidate in disk.map({ [$0] }) ?? blockDevices() {
            if let region = search(candidate, for: wanted) { return region }
        }
        throw Failure(description: "no RedoxFS file system or partition with uuid \(uuid) in \(disk ?? "any block device")")
    }

    /// Lowercase, and without braces, so uuids compare as text.
    static func normalize(_ uuid: String) -> String {
        String(uuid.lowercased().filter { $0 != "{" && $0 != "}" })
    }
}
