/// The x86_64 page tables built for the kernel (4-level paging):
/// * the first 8 GiB with 2 MiB pages, reachable both at 0 (identity, PML4[0]) and at
///   `physicalOffset` (PML4[256]), through one shared PDP;
/// * the kernel file mapped page by page (4 KiB, writable, executable) at `kernelOffset`
///   (PML4[511] → PDP[510] → PD → PTs), at most 1 GiB.
/// Every page-table page is recorded as a Reclaim memory area.
struct PageTables {
    static let physicalOffset: UInt64 = 0xFFFF_8000_0000_0000
    static let kernelOffset: UInt64 = 0xFFFF_FFFF_8000_0000
    static let identityMappedBytes: UInt64 = 8 << 30

    private static let present: UInt64 = 1 << 0
    private static let writable: UInt64 = 1 << 1
    private static let largePage: UInt64 = 1 << 7
    private static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    private static let tableFlags = present | writable

    private let areas: MemoryAreas
    /// Physical address of the PML4, loaded into CR3.
    let root: UInt64

    init(areas: MemoryAreas) {
        self.areas = areas
        root = Self.newTable(areas: areas)
        let physicalMap = Self.newTable(areas: areas)
        for gigabyte in 0..<Int(Self.identityMappedBytes >> 30) {
            let directory = Self.newTable(areas: areas)
            for entry in 0..<512 {
                let physical = UInt64(gigabyte) << 30 | UInt64(entry) << 21
                Self.store(physical | Self.tableFlags | Self.largePage, in: directory, at: entry)
            }
            Self.store(directory | Self.tableFlags, in: physicalMap, at: gigabyte)
        }
        Self.store(physicalMap | Self.tableFlags, in: root, at: 0)
        Self.store(physicalMap | Self.tableFlags, in: root, at: 256)
    }

    /// Maps `size` bytes of physical memory at `physical` (page aligned) to `kernelOffset`.
    func mapKernel(physical: UInt64, size: Int) {
        let pages = (size + PhysicalMemory.pageSize - 1) / PhysicalMemory.pageSize
        guard pages <= 512 * 512 else { Console.fatal("kernel is larger than 1 GiB (\(size) bytes)") }
        for page in 0..<pages {
            let table = tableCovering(Self.kernelOffset + UInt64(page) << 12, depth: 3)
            Self.store((physical + UInt64(page) << 12) | Self.present | Self.writable, in: table, at: page % 512)
        }
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

    /// The table at `depth` (1: PDP, 2: PD, 3: PT) that maps `virtual`, creating missing tables.
    private func tableCovering(_ virtual: UInt64, depth: Int) -> UInt64 {
        var table = root
        for level in 0..<depth {
            let index = Int(virtual >> (39 - 9 * UInt64(level)) & 511)
            var entry = Self.load(table, at: index)
            if entry & Self.present == 0 {
                entry = Self.newTable(areas: areas) | Self.tableFlags
                Self.store(entry, in: table, at: index)
            } else if entry & Self.largePage != 0 {
                Console.fatal("page tables: \(address: virtual) is already mapped by a large page")
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
