/// Our FAT12/16/32 writer for the EFI System Partition: formats a volume of a given size the way
/// upstream's `fatfs` defaults choose (variant from the size: under 4 MiB FAT12, under 512 MiB
/// FAT16, else FAT32; cluster size from the size), and stores a small tree of directories and
/// files with 8.3 names. Produces the writes as (offset, bytes) pairs relative to the volume
/// start, so a large ESP is not held in memory.
public struct FATFormatter {
    public enum Variant: Int, Sendable { case fat12 = 12, fat16 = 16, fat32 = 32 }

    /// A file or directory to store.
    public struct Item {
        /// Path components (8.3 names, stored upper-case).
        public var path: [String]
        /// nil for a directory.
        public var contents: [UInt8]?

        public init(path: [String], contents: [UInt8]?) {
            self.path = path
            self.contents = contents
        }
    }

    public let totalSectors: UInt32
    public let variant: Variant
    public let sectorsPerCluster: UInt32
    public let reservedSectors: UInt32
    public let sectorsPerFAT: UInt32
    public let rootEntries: UInt32
    public let volumeID: UInt32
    /// DOS date and time of every entry.
    public let dosDate: UInt16
    public let dosTime: UInt16

    static let sectorSize: UInt32 = 512
    static let fatCount: UInt32 = 2

    /// The geometry for a volume of `bytes`; `unixTime` stamps the entries.
    public init(bytes: UInt64, volumeID: UInt32, unixTime: UInt64) throws(InstallerError) {
        guard bytes >= 64 * 1024, bytes / 512 <= UInt64(UInt32.max) else {
            throw .other("an EFI partition of \(bytes) bytes cannot hold a FAT file system")
        }
        let total = UInt32(bytes / 512)
        let variant: Variant = bytes < 4 << 20 ? .fat12 : (bytes < 512 << 20 ? .fat16 : .fat32)
        var clusterBytes = Self.defaultClusterBytes(bytes, variant)
        let reserved: UInt32 = variant == .fat32 ? 32 : 1
        let rootEntries: UInt32 = variant == .fat32 ? 0 : 512
        let rootSectors = rootEntries * 32 / Self.sectorSize
        while true {
            let perCluster = clusterBytes / Self.sectorSize
            let fat = Self.sectorsPerFAT(total: total, reserved: reserved, rootSectors: rootSectors, perCluster: perCluster, variant: variant)
            let clusters = (total - reserved - rootSectors - Self.fatCount * fat) / perCluster
            if Self.variant(forClusters: clusters) == variant {
                self.sectorsPerCluster = perCluster
                self.sectorsPerFAT = fat
                break
            }
            guard clusterBytes > Self.sectorSize else {
                throw .other("an EFI partition of \(bytes / 1024) KiB holds no valid FAT\(variant.rawValue) volume; choose another efi_partition_size")
            }
            clusterBytes /= 2
        }
        self.totalSectors = total
        self.variant = variant
        self.reservedSectors = reserved
        self.rootEntries = rootEntries
        self.volumeID = volumeID
        (dosDate, dosTime) = Self.dosDateTime(unixTime)
    }

    /// fatfs's default cluster size for a volume of `bytes`.
    static func defaultClusterBytes(_ bytes: UInt64, _ variant: Variant) -> UInt32 {
        let kib: UInt64 = 1024, mib: UInt64 = 1 << 20
        let power = bytes <= 1 ? 1 : UInt64(1) << (64 - (bytes - 1).leadingZeroBitCount)
        let size: UInt64
        switch variant {
        case .fat12: size = power / mib * 512
        case .fat16: size = bytes <= 16 * mib ? kib : (bytes <= 128 * mib ? 2 * kib : power / (64 * mib) * kib)
        case .fat32: size = bytes <= 260 * mib ? 512 : (bytes <= 8 * kib * mib ? 4 * kib : power / (2 * kib * mib) * kib)
        }
        return UInt32(min(max(size, 512), 32 * kib))
    }

    static func variant(forClusters clusters: UInt32) -> Variant {
        clusters < 4085 ? .fat12 : (clusters < 65525 ? .fat16 : .fat32)
    }

    /// The smallest FAT that covers the clusters left after it.
    static func sectorsPerFAT(total: UInt32, reserved: UInt32, rootSectors: UInt32, perCluster: UInt32, variant: Variant) -> UInt32 {
        var fat: UInt32 = 1
        while true {
            let data = total - reserved - rootSectors - fatCount * fat
            let clusters = data / perCluster
            let bits = UInt64(clusters + 2) * UInt64(variant.rawValue)
            let needed = UInt32((bits + 8 * UInt64(sectorSize) - 1) / (8 * UInt64(sectorSize)))
            if needed <= fat { return fat }
            fat = needed
        }
    }

    static func dosDateTime(_ unixTime: UInt64) -> (UInt16, UInt16) {
        // Clamp to the FAT range 1980..2107.
        let time = min(max(unixTime, 315_532_800), 4_354_819_199)
        let days = Int64(time / 86400)
        let seconds = Int(time % 86400)
        // Civil date from days since 1970-01-01.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let date = UInt16((year - 1980) << 9) | UInt16(month << 5) | UInt16(day)
        let clock = UInt16((seconds / 3600) << 11) | UInt16(((seconds / 60) % 60) << 5) | UInt16((seconds % 60) / 2)
        return (date, clock)
    }

    var clusterBytes: Int { Int(sectorsPerCluster * Self.sectorSize) }
    var rootSectors: UInt32 { rootEntries * 32 / Self.sectorSize }
    var firstDataSector: UInt32 { reservedSectors + Self.fatCount * sectorsPerFAT + rootSectors }
    /// Number of data clusters.
    public var clusterCount: UInt32 { (totalSectors - firstDataSector) / sectorsPerCluster }

    func clusterOffset(_ cluster: UInt32) -> UInt64 {
        UInt64(firstDataSector + (cluster - 2) * sectorsPerCluster) * UInt64(Self.sectorSize)
    }

    // MARK: Writing

    /// The writes that make the volume holding `items` (parents before children).
    public func writes(_ items: [Item]) throws(InstallerError) -> [(offset: UInt64, bytes: [UInt8])] {
        var builder = FATBuilder(formatter: self)
        for item in items { try builder.add(item) }
        return try builder.finish()
    }

    /// The boot sector (FAT12/16 or FAT32 layout).
    func bootSector(freeClusters: UInt32) -> [UInt8] {
        var sector = [UInt8](repeating: 0, count: 512)
        sector.replaceSubrange(0..<3, with: variant == .fat32 ? [0xEB, 0x58, 0x90] : [0xEB, 0x3C, 0x90])
        sector.replaceSubrange(3..<11, with: Array("MSWIN4.1".utf8))
        sector.put(UInt64(Self.sectorSize), at: 11, size: 2)
        sector[13] = UInt8(sectorsPerCluster)
        sector.put(UInt64(reservedSectors), at: 14, size: 2)
        sector[16] = UInt8(Self.fatCount)
        sector.put(UInt64(rootEntries), at: 17, size: 2)
        if totalSectors < 0x10000 && variant != .fat32 {
            sector.put(UInt64(totalSectors), at: 19, size: 2)
        } else {
            sector.put(UInt64(totalSectors), at: 32, size: 4)
        }
        sector[21] = 0xF8
        sector.put(32, at: 24, size: 2)   // sectors per track
        sector.put(64, at: 26, size: 2)   // heads
        let extended: Int
        if variant == .fat32 {
            sector.put(UInt64(sectorsPerFAT), at: 36, size: 4)
            sector.put(2, at: 44, size: 4)   // root cluster
            sector.put(1, at: 48, size: 2)   // FSInfo sector
            sector.put(6, at: 50, size: 2)   // backup boot sector
            extended = 64
        } else {
            sector.put(UInt64(sectorsPerFAT), at: 22, size: 2)
            extended = 36
        }
        sector[extended] = 0x80
        sector[extended + 2] = 0x29
        sector.put(UInt64(volumeID), at: extended + 3, size: 4)
        sector.replaceSubrange(extended + 7..<extended + 18, with: Array("NO NAME    ".utf8))
        let type = variant == .fat12 ? "FAT12   " : (variant == .fat16 ? "FAT16   " : "FAT32   ")
        sector.replaceSubrange(extended + 18..<extended + 26, with: Array(type.utf8))
        sector[510] = 0x55
        sector[511] = 0xAA
        return sector
    }

    /// The FAT32 FSInfo sector.
    func fsInfo(freeClusters: UInt32, nextFree: UInt32) -> [UInt8] {
        var sector = [UInt8](repeating: 0, count: 512)
        sector.put(0x4161_5252, at: 0, size: 4)
        sector.put(0x6141_7272, at: 484, size: 4)
        sector.put(UInt64(freeClusters), at: 488, size: 4)
        sector.put(UInt64(nextFree), at: 492, size: 4)
        sector.put(0xAA55_0000, at: 508, size: 4)
        return sector
    }
}
