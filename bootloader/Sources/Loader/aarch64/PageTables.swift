/// The aarch64 translation tables built for the kernel (4 KiB granule, 48-bit addresses, one
/// root used for both TTBR0 and TTBR1):
/// * the first 8 GiB with 1 GiB blocks (device attributes, as upstream), reachable both at 0
///   (identity, L0[0]) and at `physicalOffset` (L0[256]), through one shared L1 table;
/// * the kernel file mapped page by page (4 KiB, normal write-back memory, inner shareable) at
///   `kernelOffset` (L0[510]), at most 1 GiB.
/// Every table page is recorded as a Reclaim memory area. MAIR_EL1 = 0x44FF: index 0 normal
/// write-back, 1 normal non-cacheable, 2 device nGnRnE.
struct PageTables {
    static let physicalOffset: UInt64 = 0xFFFF_8000_0000_0000
    static let kernelOffset: UInt64 = 0xFFFF_FF00_0000_0000
    static let identityMappedBytes: UInt64 = 8 << 30

    private static let valid: UInt64 = 1 << 0
    /// Bit 1: a table (levels 0–2) or a page (level 3); clear at level 1–2 for a block.
    private static let tableOrPage: UInt64 = 1 << 1
    private static let accessFlag: UInt64 = 1 << 10
    private static let innerShareable: UInt64 = 3 << 8
    private static let normalMemory: UInt64 = 0 << 2
    private static let normalUncached: UInt64 = 1 << 2
    private static let deviceMemory: UInt64 = 2 << 2
    private static let addressMask: UInt64 = 0x0000_FFFF_FFFF_F000
    private static let tableFlags = valid | tableOrPage

    private let areas: MemoryAreas
    /// Physical address of the level-0 table, loaded into TTBR0_EL1 and TTBR1_EL1.
    let root: UInt64

    init(areas: MemoryAreas) {
        self.areas = areas
        root = Self.newTable(areas: areas)
        let physicalMap = Self.newTable(areas: areas)
        for gigabyte in 0..<Int(Self.identityMappedBytes >> 30) {
            Self.store(UInt64(gigabyte) << 30 | Self.valid | Self.accessFlag | Self.deviceMemory,
                       in: physicalMap, at: gigabyte)
        }
        Self.store(physicalMap | Self.tableFlags, in: root, at: 0)
        Self.store(physicalMap | Self.tableFlags, in: root, at: 256)
    }

    /// Maps `size` bytes of physical memory at `physical` (page aligned) to `kernelOffset`.
    func mapKernel(physical: UInt64, size: Int) {
        let pages = (size + PhysicalMemory.pageSize - 1) / PhysicalMemory.pageSize
        guard pages <= 512 * 512 else { Console.fatal("kernel is larger than 1 GiB (\(size) bytes)") }
        for page in 0..<pages {
            map(virtual: Self.kernelOffset + UInt64(page) << 12, physical: physical + UInt64(page) << 12,
                attributes: Self.normalMemory | Self.innerShareable)
        }
    }

    /// Maps `size` bytes at `physical` to `virtual` (used for a frame buffer above 8 GiB); on
    /// aarch64 with 4 KiB pages, normal non-cacheable memory (spec §8.3).
    func mapLarge(virtual: UInt64, physical: UInt64, size: UInt64) {
        var offset: UInt64 = 0
        while offset < size {
            map(virtual: virtual + offset, physical: physical + offset, attributes: Self.normalUncached)
            offset += UInt64(PhysicalMemory.pageSize)
        }
    }

    private func map(virtual: UInt64, physical: UInt64, attributes: UInt64) {
        let table = tableCovering(virtual)
        Self.store(physical | Self.valid | Self.tableOrPage | Self.accessFlag | attributes, in: table,
                   at: Int(virtual >> 12 & 511))
    }

    /// The level-3 table that maps `virtual`, creating missing tables.
    private func tableCovering(_ virtual: UInt64) -> UInt64 {
        var table = root
        for level in 0..<3 {
            let index = Int(virtual >> (39 - 9 * UInt64(level)) & 511)
            var entry = Self.load(table, at: index)
            if entry & Self.valid == 0 {
                entry = Self.newTable(areas: areas) | Self.tableFlags
                Self.store(entry, in: table, at: index)
            } else if entry & Self.tableOrPage == 0 {
                Console.fatal("page tables: \(address: virtual) is already mapped by a block")
            }
            table = entry & Self.addressMask
        }
        return table
    }

    private static func newTable(areas: MemoryAreas) -> UInt64 {
        let page = PhysicalMemory.allocate(PhysicalMemory.pageSize, for: "page tables")
        areas.add(base: bits(page.baseAddress), size: UInt64(page.count), kind: .reclaim)
        return bits(page.baseAddress)
    }

    private static func load(_ table: UInt64, at index: Int) -> UInt64 {
        UnsafeRawPointer(bitPattern: UInt(table))!.load(fromByteOffset: 8 * index, as: UInt64.self)
    }

    private static func store(_ entry: UInt64, in table: UInt64, at index: Int) {
        UnsafeMutableRawPointer(bitPattern: UInt(table))!.storeBytes(of: entry, toByteOffset: 8 * index, as: UInt64.self)
    }
}
