/// `KernelArgs`: twelve little-endian u64 fields (96 bytes) whose physical address the kernel
/// receives in RDI.
struct KernelArgs {
    var kernelBase: UInt64 = 0
    var kernelSize: UInt64 = 0
    var stackBase: UInt64 = 0
    var stackSize: UInt64 = 0
    var envBase: UInt64 = 0
    var envSize: UInt64 = 0
    /// The RSDP (or device tree) copy; 0 when there is none.
    var hardwareDescriptionBase: UInt64 = 0
    var hardwareDescriptionSize: UInt64 = 0
    var areasBase: UInt64 = 0
    var areasSize: UInt64 = 0
    /// The page-aligned initfs copy.
    var bootstrapBase: UInt64 = 0
    var bootstrapSize: UInt64 = 0

    static let byteCount = 96

    /// Writes the fields in order into a fresh page (reachable through the identity map, and kept
    /// from the kernel's free list) and returns its physical address.
    func store() -> UInt64 {
        let page = PhysicalMemory.allocate(Self.byteCount, for: "kernel arguments")
        let fields = [kernelBase, kernelSize, stackBase, stackSize, envBase, envSize,
                      hardwareDescriptionBase, hardwareDescriptionSize, areasBase, areasSize,
                      bootstrapBase, bootstrapSize]
        for (index, value) in fields.enumerated() {
            page.storeBytes(of: value, toByteOffset: 8 * index, as: UInt64.self)
        }
        return bits(page.baseAddress)
    }
}
