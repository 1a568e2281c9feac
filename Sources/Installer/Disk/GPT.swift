/// One GPT partition entry.
public struct GPTPartition: Equatable, Sendable {
    public var type: GUID
    public var unique: GUID
    public var firstLBA: UInt64
    /// Inclusive.
    public var lastLBA: UInt64
    public var name: String
    public var attributes: UInt64 = 0

    public init(type: GUID, unique: GUID, firstLBA: UInt64, lastLBA: UInt64, name: String) {
        self.type = type
        self.unique = unique
        self.firstLBA = firstLBA
        self.lastLBA = lastLBA
        self.name = name
    }
}

/// The project's one GPT writer: a protective MBR and the primary and backup GPT (headers and
/// 128 entries of 128 bytes), for 512-byte sectors.
public struct GPT: Sendable {
    public static let sectorSize = 512
    public static let entryCount = 128
    public static let entrySize = 128
    /// Sectors of the entry array (32).
    public static let entrySectors = entryCount * entrySize / sectorSize

    public var diskGUID: GUID
    public var partitions: [GPTPartition]
    /// The disk's size in sectors.
    public var sectors: UInt64

    public init(diskGUID: GUID, sectors: UInt64, partitions: [GPTPartition]) {
        self.diskGUID = diskGUID
        self.sectors = sectors
        self.partitions = partitions
    }

    public var firstUsableLBA: UInt64 { UInt64(2 + Self.entrySectors) }
    public var lastUsableLBA: UInt64 { sectors - 2 - UInt64(Self.entrySectors) }

    /// Rewrites the partition area of `sector0` (a 512-byte MBR whose boot code is kept) as a
    /// protective MBR: one entry of type 0xEE from LBA 1 over the rest of the disk (the size
    /// truncated to 32 bits, as upstream's writer does), and the boot signature.
    public func protectiveMBR(keeping sector0: [UInt8]) -> [UInt8] {
        var mbr = sector0.count == Self.sectorSize ? sector0 : [UInt8](repeating: 0, count: Self.sectorSize)
        for i in 446..<510 { mbr[i] = 0 }
        mbr.put(0x0002_0000, at: 446, size: 4)     // not bootable, CHS start 0/0/2
        mbr[450] = 0xEE
        mbr.put(0xFF_FFFF, at: 451, size: 3)      // CHS end: maximum
        mbr.put(1, at: 454, size: 4)
        mbr.put(UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: sectors - 1)), at: 458, size: 4)
        mbr[510] = 0x55
        mbr[511] = 0xAA
        return mbr
    }

    /// The entry array (16 KiB).
    public func entries() -> [UInt8] {
        var entries = [UInt8](repeating: 0, count: Self.entryCount * Self.entrySize)
        for (index, partition) in partitions.prefix(Self.entryCount).enumerated() {
            let at = index * Self.entrySize
            entries.replaceSubrange(at..<at + 16, with: partition.type.bytes)
            entries.replaceSubrange(at + 16..<at + 32, with: partition.unique.bytes)
            entries.put(partition.firstLBA, at: at + 32, size: 8)
            entries.put(partition.lastLBA, at: at + 40, size: 8)
            entries.put(partition.attributes, at: at + 48, size: 8)
            for (n, unit) in partition.name.utf16.prefix(36).enumerated() {
                entries.put(UInt64(unit), at: at + 56 + 2 * n, size: 2)
            }
        }
        return entries
    }

    /// The primary tables (sectors 1 to 33) and the backup tables (the last 33 sectors, entries
    /// first, header in the last sector) with the byte offset where the backup goes.
    public func tables() -> (primary: [UInt8], backup: [UInt8], backupOffset: UInt64) {
        let entries = entries()
        let entriesCRC = CRC32.checksum(entries[...])
        let last = sectors - 1
        let backupEntriesLBA = last - UInt64(Self.entrySectors)
        let primary = header(lba: 1, alternate: last, entriesLBA: 2, entriesCRC: entriesCRC) + entries
        let backup = entries + header(lba: last, alternate: 1, entriesLBA: backupEntriesLBA, entriesCRC: entriesCRC)
        return (primary, backup, backupEntriesLBA * UInt64(Self.sectorSize))
    }

    /// One header sector.
    private func header(lba: UInt64, alternate: UInt64, entriesLBA: UInt64, entriesCRC: UInt32) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: Self.sectorSize)
        header.replaceSubrange(0..<8, with: Array("EFI PART".utf8))
        header.put(0x0001_0000, at: 8, size: 4)
        header.put(92, at: 12, size: 4)
        header.put(lba, at: 24, size: 8)
        header.put(alternate, at: 32, size: 8)
        header.put(firstUsableLBA, at: 40, size: 8)
        header.put(lastUsableLBA, at: 48, size: 8)
        header.replaceSubrange(56..<72, with: diskGUID.bytes)
        header.put(entriesLBA, at: 72, size: 8)
        header.put(UInt64(Self.entryCount), at: 80, size: 4)
        header.put(UInt64(Self.entrySize), at: 84, size: 4)
        header.put(UInt64(entriesCRC), at: 88, size: 4)
        header.put(UInt64(CRC32.checksum(header[0..<92])), at: 16, size: 4)
        return header
    }
}

extension Array where Element == UInt8 {
    /// Stores `value` little-endian in `size` bytes at `offset`.
    mutating func put(_ value: UInt64, at offset: Int, size: Int) {
        for i in 0..<size { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
}
