/// aarch64 translation tables (4 KiB granule, 48-bit addresses, one root for TTBR0 and TTBR1):
/// the identity map uses 1 GiB blocks with device attributes (as upstream); the kernel's pages
/// are normal write-back, inner shareable memory at `kernelOffset` (L0[510]). MAIR_EL1 = 0x44FF:
/// index 0 normal write-back, 1 normal non-cacheable, 2 device nGnRnE.
extension PageTables {
    static let kernelOffset: UInt64 = 0xFFFF_FF00_0000_0000

    static let valid: UInt64 = 1 << 0
    /// Bit 1: a table (levels 0–2) or a page (level 3); clear at level 1–2 for a block.
    private static let tableOrPage: UInt64 = 1 << 1
    private static let accessFlag: UInt64 = 1 << 10
    private static let innerShareable: UInt64 = 3 << 8
    private static let normalMemory: UInt64 = 0 << 2
    private static let normalUncached: UInt64 = 1 << 2
    private static let deviceMemory: UInt64 = 2 << 2
    static let addressMask: UInt64 = 0x0000_FFFF_FFFF_F000
    static let tableFlags = valid | tableOrPage
    static let kernelPageFlags = valid | tableOrPage | accessFlag | normalMemory | innerShareable

    static func isBlock(_ entry: UInt64) -> Bool {
        entry & tableOrPage == 0
    }

    /// The L1 entry for `gigabyte`: a 1 GiB block of device memory.
    static func identityEntry(gigabyte: Int, areas: MemoryAreas) -> UInt64 {
        UInt64(gigabyte) << 30 | valid | accessFlag | deviceMemory
    }

    /// Maps `size` bytes at `physical` to `virtual` (used for a frame buffer above 8 GiB) with
    /// 4 KiB pages of normal non-cacheable memory (spec §8.3).
    func mapLarge(virtual: UInt64, physical: UInt64, size: UInt64) {
        var offset: UInt64 = 0
        while offset < size {
            mapPage(virtual: virtual + offset, physical: physical + offset,
                    flags: Self.valid | Self.tableOrPage | Self.accessFlag | Self.normalUncached)
            offset += UInt64(PhysicalMemory.pageSize)
        }
    }
}
