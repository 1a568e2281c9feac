/// The BIOS memory map (INT 15h EAX=E820h), read once at start.
struct MemoryMap {
    /// One E820 entry.
    struct Entry {
        var base: UInt64
        var size: UInt64
        /// 1 usable, 3 ACPI reclaimable, others reserved.
        var type: UInt32
    }

    private(set) var entries: [Entry] = []

    /// Reads every entry.
    static func read() -> MemoryMap {
        var map = MemoryMap()
        forEachEntry { map.entries.append($0) }
        return map
    }

    /// Calls `body` with each entry (24-byte requests, signature `SMAP`, until EBX = 0), without
    /// allocating: the heap is set up from this.
    static func forEachEntry(_ body: (Entry) -> Void) {
        var continuation: UInt32 = 0
        let buffer = LowMemory.pointer(LowMemory.e820Entry)
        for _ in 0..<256 {
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 24)
            var registers = BIOS.Registers(eax: 0xE820, ebx: continuation, ecx: 24, edx: 0x534D_4150,
                                           edi: LowMemory.e820Entry)
            BIOS.interrupt(0x15, &registers)
            guard !registers.carry, registers.eax == 0x534D_4150 else { break }
            let entry = Entry(base: buffer.loadUnaligned(as: UInt64.self),
                              size: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                              type: buffer.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            if entry.size > 0 { body(entry) }
            continuation = registers.ebx
            if continuation == 0 { break }
        }
    }

    /// The usable area that contains 1 MiB, clipped below 4 GiB (32-bit code), or nil.
    static func heapRegion() -> (start: UInt32, end: UInt32)? {
        let start: UInt64 = 1 << 20
        var region: (start: UInt32, end: UInt32)?
        forEachEntry { entry in
            if entry.type == 1 && entry.base <= start && entry.base + entry.size > start {
                region = (UInt32(start), UInt32(min(entry.base + entry.size, 0xFFFF_F000)))
            }
        }
        return region
    }

    /// The memory area kind of an E820 type (spec §8.1): 1 Free, 3 Reclaim, others Reserved.
    static func kind(of type: UInt32) -> MemoryAreas.Kind {
        switch type {
        case 1: .free
        case 3: .reclaim
        default: .reserved
        }
    }
}
