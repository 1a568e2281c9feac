/// A firmware table copied into its own pages for the kernel (the ACPI RSDP or a flattened device
/// tree): its physical address and length.
struct HardwareTable {
    var address: UInt64
    var size: Int

    /// Copies the `count` bytes at `source` into a fresh allocation of `size` bytes (`count` when
    /// not given) that the memory map reports as `name`.
    static func copy(_ count: Int, from source: UnsafeRawPointer, size: Int? = nil, for name: StaticString) -> HardwareTable {
        let size = size ?? count
        let copy = PhysicalMemory.allocate(size, for: name)
        copy.copyMemory(from: UnsafeRawBufferPointer(start: source, count: count))
        return HardwareTable(address: bits(copy.baseAddress), size: size)
    }
}
