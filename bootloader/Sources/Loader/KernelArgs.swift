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

extension KernelArgs {
    /// The arguments of a loaded system: `stack` for the kernel's boot stack, `environment`, the
    /// hardware descriptor (the RSDP or device tree copy, if any) and the memory areas.
    init(_ system: BootSteps.LoadedSystem, stack: UnsafeMutableRawBufferPointer, environment: EnvironmentBlock,
         hardware: HardwareTable?, areas: MemoryAreas) {
        self.init(
            kernelBase: system.kernel.file.address, kernelSize: UInt64(system.kernel.file.size),
            stackBase: bits(stack.baseAddress), stackSize: UInt64(stack.count),
            envBase: environment.address, envSize: UInt64(environment.count),
            hardwareDescriptionBase: hardware?.address ?? 0, hardwareDescriptionSize: UInt64(hardware?.size ?? 0),
            areasBase: areas.address, areasSize: UInt64(MemoryAreas.byteCount),
            bootstrapBase: system.initfs.address, bootstrapSize: UInt64(system.initfs.memory.count))
    }

    /// The top of the boot stack, as the kernel sees it (through the physical map).
    var stackTop: UInt64 { stackBase + stackSize + PageTables.physicalOffset }
}
