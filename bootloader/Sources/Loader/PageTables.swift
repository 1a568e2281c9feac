/// The page tables built for the kernel (spec §8.2; 4 KiB pages, four levels of 512 entries):
/// * the first 8 GiB, reachable both at 0 (identity, root[0]) and at `physicalOffset`
///   (root[256]), through one shared level-1 table;
/// * the kernel file mapped page by page at `kernelOffset`, at most 1 GiB.
/// Every table page is recorded as a Reclaim memory area. The walk and the table pages are
/// common; entry bits, how the identity map is made and the frame-buffer mapping are per
/// architecture (<arch>/PageTableFormat.swift).
struct PageTables {
    static let physicalOffset: UInt64 = 0xFFFF_8000_0000_0000
    static let identityMappedBytes: UInt64 = 8 << 30

    private let areas: MemoryAreas
    /// Physical address of the root table (CR3 on x86_64; TTBR0_EL1 and TTBR1_EL1 on aarch64).
    let root: UInt64

    init(areas: MemoryAreas) {
        self.areas = areas
        root = Self.newTable(areas: areas)
        let physicalMap = Self.newTable(areas: areas)
        for gigabyte in 0..<Int(Self.identityMappedBytes >> 30) {
            Self.store(Self.identityEntry(gigabyte: gigabyte, areas: areas), in: physicalMap, at: gigabyte)
        }
        Self.store(physicalMap | Self.tableFlags, in: root, at: 0)
        Self.store(physicalMap | Self.tableFlags, in: root, at: 256)
    }

    /// Maps `size` bytes of physical memory at `physical` (page aligned) to `kernelOffset`.
    func mapKernel(physical: UInt64, size: Int) {
        let pages = (size + PhysicalMemory.pageSize - 1) / PhysicalMemory.pageSize
        guard pages <= 512 * 512 else { Console.fatal("kernel is larger than 1 GiB (\(size) bytes)") }
        for page in 0..<pages {
            mapPage(virtual: Self.kernelOffset + UInt64(page) << 12, physical: physical + UInt64(page) << 12,
                    flags: Self.kernelPageFlags)
        }
    }

    /// Maps one 4 KiB page with the (last-level) entry bits `flags`.
    func mapPage(virtual: UInt64, physical: UInt64, flags: UInt64) {
        let table = tableCovering(virtual, depth: 3)
        Self.store(physical | flags, in: table, at: Int(virtual >> 12 & 511))
    }

    /// The table at `depth` (1: level 1, 2: level 2, 3: the last level) that maps `virtual`,
    /// creating missing tables.
    func tableCovering(_ virtual: UInt64, depth: Int) -> UInt64 {
        var table = root
        for level in 0..<depth {
            let index = Int(virtual >> (39 - 9 * UInt64(level)) & 511)
            var entry = Self.load(table, at: index)
            if entry & Self.valid == 0 {
                entry = Self.newTable(areas: areas) | Self.tableFlags
                Self.store(entry, in: table, at: index)
            } else if Self.isBlock(entry) {
                Console.fatal("page tables: \(address: virtual) is already mapped by a large page")
            }
            table = entry & Self.addressMask
        }
        return table
    }

    /// A zeroed table page, recorded as Reclaim.
    static func newTable(areas: MemoryAreas) -> UInt64 {
        let page = PhysicalMemory.allocate(PhysicalMemory.pageSize, for: "page tables")
        areas.add(base: bits(page.baseAddress), size: UInt64(page.count), kind: .reclaim)
        return bits(page.baseAddress)
    }

    static func load(_ table: UInt64, at index: Int) -> UInt64 {
        UnsafeRawPointer(bitPattern: UInt(table))!.load(fromByteOffset: 8 * index, as: UInt64.self)
    }

    static func store(_ entry: UInt64, in table: UInt64, at index: Int) {
        UnsafeMutableRawPointer(bitPattern: UInt(table))!.storeBytes(of: entry, toByteOffset: 8 * index, as: UInt64.self)
    }
}
