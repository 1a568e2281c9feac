/// The BIOS candidate list: the boot drive, with RedoxFS always expected at 2 MiB (spec §2.4).
extension VolumeSearch {
    nonisolated(unsafe) static var bootDrive: UInt8 = 0x80

    static func orderedCandidates() -> [Candidate] {
        [Candidate(device: DiskDevice(drive: bootDrive), startBlock: wholeDiskStartBlock, number: 0)]
    }
}
