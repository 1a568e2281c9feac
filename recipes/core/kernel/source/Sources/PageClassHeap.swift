// The allocator behind Embedded Swift's `posix_memalign`/`free` (assembly trampolines jump here), shared by the kernel (its heap
// at 0xFFFF_FF7F_8000_0000) and by the userspace runtime (over anonymous memory). A contiguous
// virtual region: its first pages hold a byte per page (the page's size class) and the free-list
// heads; blocks of 16 B–2 KiB are carved from whole pages, bigger requests are runs of pages
// rounded to a power of two. Freed blocks go back on their class's list, threaded through them.

enum PageClassHeap {
    nonisolated(unsafe) static var base: UInt64 = 0
    nonisolated(unsafe) static var capacityPages: UInt64 = 0
    nonisolated(unsafe) static var mappedPages: UInt64 = 0
    nonisolated(unsafe) static var nextPage: UInt64 = 0
    /// Maps more of the region: (address, bytes) → success.
    nonisolated(unsafe) static var grow: (@convention(c) (UInt64, UInt64) -> Bool)? = nil
    static let classCount = 32

    /// Sets the region up; `mapped` bytes at `regionBase` are already usable.
    static func configure(regionBase: UInt64, capacity: UInt64, mapped: UInt64,
                          grow hook: (@convention(c) (UInt64, UInt64) -> Bool)?) -> Bool {
        base = regionBase
        capacityPages = capacity / 4096
        mappedPages = mapped / 4096
        grow = hook
        let metadataPages = (capacityPages + UInt64(classCount) * 8 + 4095) / 4096
        guard ensureMapped(metadataPages) else { return false }
        UnsafeMutableRawPointer(bitPattern: UInt(base))!.initializeMemory(as: UInt8.self, repeating: 0, count: Int(metadataPages * 4096))
        nextPage = metadataPages
        return true
    }

    private static var classMap: UnsafeMutablePointer<UInt8> { UnsafeMutablePointer(bitPattern: UInt(base))! }
    private static var freeLists: UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer(bitPattern: UInt(base + capacityPages))!
    }

    private static func ensureMapped(_ pages: UInt64) -> Bool {
        if pages <= mappedPages { return true }
        guard pages <= capacityPages, let grow else { return false }
        let target = min(capacityPages, max(pages, mappedPages + 256))
        guard grow(base + mappedPages * 4096, (target - mappedPages) * 4096) else { return false }
        mappedPages = target
        return true
    }

    /// A block of 2^sizeClass bytes, or nil.
    static func allocate(sizeClass: Int) -> UnsafeMutableRawPointer? {
        guard base != 0, sizeClass < classCount else { return nil }
        let head = freeLists[sizeClass]
        if head != 0 {
            let block = UnsafeMutableRawPointer(bitPattern: UInt(head))!
            freeLists[sizeClass] = block.load(as: UInt64.self)
            return block
        }
        if sizeClass < 12 {
            guard let page = allocate(sizeClass: 12) else { return nil }
            let address = UInt64(UInt(bitPattern: page))
            classMap[Int((address - base) >> 12)] = UInt8(sizeClass)
            let size = UInt64(1) << UInt64(sizeClass)
            var offset = size
            while offset < 4096 {
                let block = UnsafeMutableRawPointer(bitPattern: UInt(address + offset))!
                block.storeBytes(of: freeLists[sizeClass], as: UInt64.self)
                freeLists[sizeClass] = address + offset
                offset += size
            }
            return page
        }
        let pages = UInt64(1) << UInt64(sizeClass - 12)
        guard ensureMapped(nextPage + pages) else { return nil }
        let address = base + nextPage * 4096
        classMap[Int(nextPage)] = UInt8(sizeClass)
        nextPage += pages
        return UnsafeMutableRawPointer(bitPattern: UInt(address))
    }

    static func release(_ pointer: UnsafeMutableRawPointer) {
        let address = UInt64(UInt(bitPattern: pointer))
        guard address >= base, address < base + capacityPages * 4096 else { return }
        let sizeClass = Int(classMap[Int((address - base) >> 12)])
        pointer.storeBytes(of: freeLists[sizeClass], as: UInt64.self)
        freeLists[sizeClass] = address
    }

    static func sizeClass(size: Int, alignment: Int) -> Int {
        let needed = max(size, alignment, 16)
        var sizeClass = 4
        while (1 << sizeClass) < needed { sizeClass += 1 }
        return sizeClass
    }
}

@_cdecl("swift_heap_allocate")
func heapAllocate(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
    guard let block = PageClassHeap.allocate(sizeClass: PageClassHeap.sizeClass(size: size, alignment: alignment)) else {
        result.pointee = nil
        return 12
    }
    result.pointee = block
    return 0
}

@_cdecl("swift_heap_free")
func heapFree(_ pointer: UnsafeMutableRawPointer?) {
    if let pointer { PageClassHeap.release(pointer) }
}
