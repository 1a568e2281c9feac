/// The last steps on BIOS machines: record the memory map as memory areas (the used part of the
/// heap as Reserved) and enter the kernel in long mode through stage 2 (spec §9.1).
enum Handoff {
    static func enterKernel(entry: UInt64, pageTables: PageTables, areas: MemoryAreas, memoryMap: MemoryMap,
                            argumentsAddress: UInt64, stackTop: UInt64) -> Never {
        Console.print("Entering the kernel at \(address: entry)")
        let heapStart: UInt64 = 1 << 20
        let heapEnd = (UInt64(heap_high_water()) + UInt64(PhysicalMemory.pageSize) - 1) & ~UInt64(PhysicalMemory.pageSize - 1)
        areas.add(base: heapStart, size: heapEnd - heapStart, kind: .reserved)
        for entry in memoryMap.entries {
            let end = entry.base + entry.size
            let kind = MemoryMap.kind(of: entry.type)
            if kind == .free && entry.base < heapEnd && end > heapStart {
                // The free area holding the heap: what lies around the used part stays free.
                if entry.base < heapStart { areas.add(base: entry.base, size: heapStart - entry.base, kind: .free) }
                if end > heapEnd { areas.add(base: heapEnd, size: end - heapEnd, kind: .free) }
            } else {
                areas.add(base: entry.base, size: entry.size, kind: kind)
            }
        }
        cpu_enter_kernel(pageTables.root, stackTop, entry, argumentsAddress)
    }
}
