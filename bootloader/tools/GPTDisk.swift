/// Builds a GPT disk image in the installer's layout: partitions on 1 MiB boundaries starting at
/// 1 MiB, a protective MBR, primary and backup headers with 128 entries of 128 bytes, and the last
/// MiB of the disk left free for the backup table.
struct GPTDisk {
    /// One partition: its GPT type, name and contents (placed at the next 1 MiB boundary).
    struct Partition {
        var type: [UInt8]
        var name: String
        var contents: [UInt8]
    }

    static let sectorSize = 512
    static let mebibyte = 1 << 20
    static let entryCount = 128
    static let entrySize = 128

    /// EFI System partition type C12A7328-F81F-11D2-BA4B-00A0C93EC93B.
    static let efiSystemType = guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
    /// Linux file-system data type 0FC63DAF-8483-4772-8E79-3D69D8477DE4 (what the installer uses for RedoxFS).
    static let linuxDataType = guid("0FC63DAF-8483-4772-8E79-3D69D8477DE4")

    var partitions: [Partition]

    /// The whole disk image.
    func image() -> [UInt8] {
        var starts: [Int] = []
        var next = Self.mebibyte
        for partition in partitions {
            starts.append(next)
            next += alignUp(max(partition.contents.count, 1), Self.mebibyte)
        }
        let diskSize = next + Self.mebibyte
        let sectors = diskSize / Self.sectorSize
        var disk = ByteBuffer(count: diskSize)
        for (partition, start) in zip(partitions, starts) {
            disk.store(partition.contents[...], at: start)
        }

        var entries = ByteBuffer(count: Self.entryCount * Self.entrySize)
        for (index, (partition, start)) in zip(partitions, starts).enumerated() {
            let at = index * Self.entrySize
            entries.store(partition.type[...], at: at)
            entries.store(Self.uniqueGUID(UInt8(index + 1))[...], at: at + 16)
            let first = start / Self.sectorSize
            let last = first + alignUp(max(partition.contents.count, 1), Self.mebibyte) / Self.sectorSize - 1
            entries.store64(UInt64(first), at: at + 32)
            entries.store64(UInt64(last), at: at + 40)
            for (n, unit) in partition.name.utf16.prefix(36).enumerated() { entries.store16(unit, at: at + 56 + 2 * n) }
        }
        let entriesSectors = Self.entryCount * Self.entrySize / Self.sectorSize
        let entriesCRC = CRC32.checksum(entries.bytes[...])

        // Protective MBR: one 0xEE entry covering the disk from LBA 1.
        disk.store(0x00_0200_00, at: 0x1BE, size: 4)
        disk.store(0xEE, at: 0x1C2, size: 1)
        disk.store(0xFF_FFFF, at: 0x1C3, size: 3)
        disk.store32(1, at: 0x1C6)
        disk.store32(UInt32(min(sectors - 1, 0xFFFF_FFFF)), at: 0x1CA)
        disk.store16(0xAA55, at: 0x1FE)

        let backupEntriesLBA = sectors - 1 - entriesSectors
        let primary = header(lba: 1, alternate: sectors - 1, entriesLBA: 2, sectors: sectors, entriesCRC: entriesCRC)
        let backup = header(lba: sectors - 1, alternate: 1, entriesLBA: backupEntriesLBA, sectors: sectors, entriesCRC: entriesCRC)
        disk.store(primary[...], at: Self.sectorSize)
        disk.store(entries.bytes[...], at: 2 * Self.sectorSize)
        disk.store(entries.bytes[...], at: backupEntriesLBA * Self.sectorSize)
        disk.store(backup[...], at: (sectors - 1) * Self.sectorSize)
        return disk.bytes
    }

    private func header(lba: Int, alternate: Int, entriesLBA: Int, sectors: Int, entriesCRC: UInt32) -> [UInt8] {
        let entriesSectors = Self.entryCount * Self.entrySize / Self.sectorSize
        var header = ByteBuffer(count: 92)
        header.storeASCII("EFI PART", at: 0)
        header.store32(0x0001_0000, at: 8)
        header.store32(92, at: 12)
        header.store64(UInt64(lba), at: 24)
        header.store64(UInt64(alternate), at: 32)
        header.store64(UInt64(2 + entriesSectors), at: 40)
        header.store64(UInt64(sectors - 2 - entriesSectors), at: 48)
        header.store(Self.uniqueGUID(0)[...], at: 56)
        header.store64(UInt64(entriesLBA), at: 72)
        header.store32(UInt32(Self.entryCount), at: 80)
        header.store32(UInt32(Self.entrySize), at: 84)
        header.store32(entriesCRC, at: 88)
        header.store32(CRC32.checksum(header.bytes[...]), at: 16)
        return header.bytes
    }

    /// A fixed, recognisable GUID (the test disks are reproducible): 52454458-0000-4000-8000-0000000000nn.
    private static func uniqueGUID(_ n: UInt8) -> [UInt8] {
        guid("52454458-0000-4000-8000-0000000000" + String(n, radix: 16).leftPadded(to: 2))
    }

    /// The on-disk bytes of a textual GUID: the first three groups little-endian, the rest as written.
    static func guid(_ text: String) -> [UInt8] {
        let hex = Array(text.utf8.filter { $0 != UInt8(ascii: "-") })
        var bytes: [UInt8] = (0..<16).map { i in UInt8(String(decoding: hex[2 * i..<2 * i + 2], as: UTF8.self), radix: 16)! }
        bytes[0..<4].reverse()
        bytes[4..<6].reverse()
        bytes[6..<8].reverse()
        return bytes
    }
}

extension String {
    /// The string with leading zeros added up to `width` characters.
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
