// The GPT partitions of a disk (header at LBA 1, "EFI PART"): the used entries in table order.

/// A byte range of the disk, in 512-byte sectors.
struct Extent {
    let start: UInt64
    let count: UInt64
}

enum PartitionTable {
    /// Reads the GPT through `readSectors(sector, count) -> bytes?`; [] when there is none or it is
    /// malformed (the whole disk stays available).
    static func gpt(sectors: UInt64, readSectors: (UInt64, Int) -> [UInt8]?) -> [Extent] {
        guard let header = readSectors(1, 1), header.count >= 92,
              Array(header[0..<8]) == Array("EFI PART".utf8) else { return [] }
        func word64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            return value
        }
        func word32(_ bytes: [UInt8], _ offset: Int) -> Int { Int(word64(bytes, offset) & 0xFFFF_FFFF) }
        let tableStart = word64(header, 72)
        let entryCount = word32(header, 80)
        let entrySize = word32(header, 84)
        guard entrySize >= 128, entrySize <= 4096, entrySize % 8 == 0, entryCount <= 1024,
              tableStart >= 2, tableStart < sectors else { return [] }
        let tableSectors = (entryCount * entrySize + 511) / 512
        guard let table = readSectors(tableStart, tableSectors), table.count >= entryCount * entrySize else { return [] }
        var extents: [Extent] = []
        for index in 0..<entryCount {
            let base = index * entrySize
            if table[base..<(base + 16)].allSatisfy({ $0 == 0 }) { continue }
            let first = word64(table, base + 32), last = word64(table, base + 40)
            guard first <= last, last < sectors else { continue }
            extents.append(Extent(start: first, count: last - first + 1))
        }
        return extents
    }
}
