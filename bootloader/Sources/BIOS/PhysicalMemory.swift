/// Page allocations for everything handed to the kernel, from stage 3's heap (the free E820 area
/// that contains 1 MiB): zero-filled and page aligned. The hand-off reports the part of the heap
/// that was used as Reserved, so none of it reaches the kernel's free list.
enum PhysicalMemory {
    static let pageSize = 4096
    /// Highest size (exclusive) a file may have: what 32-bit code can address comfortably.
    static let limit: UInt64 = 1 << 30

    /// `byteCount` bytes rounded up to whole pages, zeroed; a fatal error when memory is short.
    static func allocate(_ byteCount: Int, for purpose: StaticString) -> UnsafeMutableRawBufferPointer {
        let size = (max(byteCount, 1) + pageSize - 1) / pageSize * pageSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: pageSize)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        return buffer
    }
}
