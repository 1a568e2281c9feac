/// Where upstream's installer puts things on a disk (installer.md §3.3): BIOS boot partition from
/// LBA 34 to 1 MiB, the ESP from 1 MiB (`efi_partition_size` MiB), RedoxFS from there to the last
/// whole MiB before the backup GPT — so with the default 1 MiB ESP RedoxFS starts at 2 MiB.
public struct DiskLayout: Equatable, Sendable {
    public static let sectorSize: UInt64 = 512
    public static let mebibyte: UInt64 = 1 << 20
    static let sectorsPerMiB = mebibyte / sectorSize

    /// The disk's size in bytes.
    public let diskBytes: UInt64
    /// Size of the ESP in MiB.
    public let efiMiB: UInt64

    public init(diskBytes: UInt64, efiMiB: UInt64 = 1) {
        self.diskBytes = diskBytes
        self.efiMiB = efiMiB
    }

    public var biosFirstLBA: UInt64 { 34 }
    public var biosLastLBA: UInt64 { Self.sectorsPerMiB - 1 }
    public var efiFirstLBA: UInt64 { Self.sectorsPerMiB }
    public var efiLastLBA: UInt64 { Self.sectorsPerMiB + efiMiB * Self.sectorsPerMiB - 1 }
    public var redoxFirstLBA: UInt64 { efiLastLBA + 1 }
    /// The last whole MiB (holding the backup GPT) is left out.
    public var redoxLastLBA: UInt64 {
        let usable = diskBytes >= 17408 ? (diskBytes - 17408) / Self.mebibyte : 0
        return usable * Self.sectorsPerMiB &- 1
    }

    /// Whether there is room for the three partitions (at least one MiB of RedoxFS).
    public var isValid: Bool { redoxLastLBA != UInt64.max && redoxLastLBA >= redoxFirstLBA + Self.sectorsPerMiB - 1 }

    public var efiOffset: UInt64 { efiFirstLBA * Self.sectorSize }
    public var efiBytes: UInt64 { efiMiB * Self.mebibyte }
    public var redoxOffset: UInt64 { redoxFirstLBA * Self.sectorSize }
    public var redoxBytes: UInt64 { (redoxLastLBA + 1 - redoxFirstLBA) * Self.sectorSize }
    public var sectors: UInt64 { (diskBytes + Self.sectorSize - 1) / Self.sectorSize }

    /// The partition table for this layout with the given GUIDs.
    public func gpt(diskGUID: GUID, uniqueGUIDs: [GUID]) -> GPT {
        GPT(diskGUID: diskGUID, sectors: sectors, partitions: [
            GPTPartition(type: .biosBoot, unique: uniqueGUIDs[0], firstLBA: biosFirstLBA, lastLBA: biosLastLBA, name: "BIOS"),
            GPTPartition(type: .efiSystem, unique: uniqueGUIDs[1], firstLBA: efiFirstLBA, lastLBA: efiLastLBA, name: "EFI"),
            GPTPartition(type: .linuxData, unique: uniqueGUIDs[2], firstLBA: redoxFirstLBA, lastLBA: redoxLastLBA, name: "REDOX"),
        ])
    }
}
