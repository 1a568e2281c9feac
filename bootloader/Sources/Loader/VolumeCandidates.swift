/// The UEFI candidate list: Block I/O handles with media, in upstream's order.
extension VolumeSearch {
    /// The candidates in upstream's order: for each disk holding the ESP, its partitions (the ESP
    /// excluded) then the disk itself; then every other device in firmware order.
    static func orderedCandidates() -> [Candidate] {
        guard let boot = Firmware.boot else { return [] }
        let handles = boot.handles(supporting: .blockIO)
        let paths = handles.map { DevicePath(of: $0, bootServices: boot) }
        let esp = boot.interface(.loadedImage, on: Firmware.imageHandle)
            .map { LoadedImage(table: FirmwareTable($0)).deviceHandle }
        let espPath = esp.flatMap { DevicePath(of: $0, bootServices: boot) }

        var order: [Int] = []
        if let espPath {
            for disk in handles.indices where paths[disk].map({ espPath.isChild(of: $0) }) ?? false {
                for partition in handles.indices where paths[partition].map({ $0.isChild(of: paths[disk]!) }) ?? false {
                    order.append(partition)
                }
                order.append(disk)
            }
        }
        for index in handles.indices where !order.contains(index) { order.append(index) }

        var candidates: [Candidate] = []
        for index in order where handles[index] != esp {
            guard let device = DiskDevice(handle: handles[index], bootServices: boot) else { continue }
            candidates.append(Candidate(device: device, startBlock: device.isPartition ? 0 : wholeDiskStartBlock,
                                        number: index))
        }
        return candidates
    }
}
