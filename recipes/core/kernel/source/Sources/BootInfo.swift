/// The loader's `KernelArgs` (bootloader.md §9.5), copied at entry before anything else.
struct BootInfo {
    var kernelBase: UInt64 = 0, kernelSize: UInt64 = 0
    var stackBase: UInt64 = 0, stackSize: UInt64 = 0
    var envBase: UInt64 = 0, envSize: UInt64 = 0
    var hardwareBase: UInt64 = 0, hardwareSize: UInt64 = 0
    var areasBase: UInt64 = 0, areasSize: UInt64 = 0
    var bootstrapBase: UInt64 = 0, bootstrapSize: UInt64 = 0

    init(address: UInt64) {
        let raw = UnsafeRawPointer(bitPattern: UInt(address))!
        func field(_ index: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self) }
        kernelBase = field(0); kernelSize = field(1)
        stackBase = field(2); stackSize = field(3)
        envBase = field(4); envSize = field(5)
        hardwareBase = field(6); hardwareSize = field(7)
        areasBase = field(8); areasSize = field(9)
        bootstrapBase = field(10); bootstrapSize = field(11)
    }

    init() {}
}

/// One `OsMemoryEntry` of the loader's area table (bootloader.md §8.1).
struct MemoryArea {
    var base: UInt64
    var size: UInt64
    var kind: UInt64

    static let free: UInt64 = 1
}
