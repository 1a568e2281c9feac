/// x86_64 4-level paging (also built by BIOS stage 3): the identity map uses 2 MiB pages (one
/// page directory per GiB); the kernel's pages are writable and executable at `kernelOffset`
/// (PML4[511] → PDP[510] → PD → PTs).
extension PageTables {
    static let kernelOffset: UInt64 = 0xFFFF_FFFF_8000_0000

    /// Present: bit 0 of every entry.
    static let valid: UInt64 = 1 << 0
    private static let writable: UInt64 = 1 << 1
    private static let largePage: UInt64 = 1 << 7
    static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    static let tableFlags = valid | writable
    static let kernelPageFlags = valid | writable

    static func isBlock(_ entry: UInt64) -> Bool {
        entry & largePage != 0
    }

    /// The PDP entry for `gigabyte`: a page directory of 512 2 MiB pages.
    static func identityEntry(gigabyte: Int, areas: MemoryAreas) -> UInt64 {
        let directory = newTable(areas: areas)
        for entry in 0..<512 {
            let physical = UInt64(gigabyte) << 30 | UInt64(entry) << 21
            store(physical | tableFlags | largePage, in: directory, at: entry)
        }
        return directory | tableFlags
    }

    /// Maps `size` bytes at `physical` (2 MiB aligned) to `virtual` with 2 MiB pages.
    func mapLarge(virtual: UInt64, physical: UInt64, size: UInt64) {
        var offset: UInt64 = 0
        while offset < size {
            let directory = tableCovering(virtual + offset, depth: 2)
            Self.store((physical + offset) | Self.tableFlags | Self.largePage, in: directory,
                       at: Int((virtual + offset) >> 21 & 511))
            offset += 2 << 20
        }
    }
}
