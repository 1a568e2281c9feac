import RedoxFSFormat

/// Stage 3's entry from bootloader/bios/shim/start.c: the whole boot in upstream's order (spec
/// §2.4, §4). Every failure ends in `Console.fatal`, with the same messages as the UEFI loader.
@_cdecl("bios_main")
func biosMain(drive: UInt32) {
    exceptions_install()
    guard let heap = MemoryMap.heapRegion() else {
        Console.fatal(static: "no usable memory at 1 MiB in the E820 memory map")
    }
    heap_initialize(heap.start, heap.end)
    let memoryMap = MemoryMap.read()
    Console.setUp()
    Console.print("Redox OS Bootloader \(Loader.version) on \(Platform.name)")

    let rsdp = ACPI.copyRSDP()
    if let rsdp {
        Console.print("Hardware descriptor: ACPI RSDP at \(address: rsdp.address), \(rsdp.size) bytes")
    } else {
        Console.print("Hardware descriptor: none")
    }

    let areas = MemoryAreas()
    VolumeSearch.bootDrive = UInt8(truncatingIfNeeded: drive)
    var (volume, password) = VolumeSearch.open()
    let uuid = Message(uuid: volume.header.uuid)
    Console.print("RedoxFS \(uuid): \(volume.header.size >> 20) MiB")

    let videoMode = ModeSelection.choose(from: VBE.modes(), preferred: VBE.preferredResolution())
    let stack = PhysicalMemory.allocate(Loader.stackSize, for: "stack")
    let kernel = BootFiles.loadKernel(from: &volume)
    let initfs = BootFiles.loadInitfs(from: &volume)

    let pageTables = PageTables(areas: areas)
    pageTables.mapKernel(physical: kernel.file.address, size: kernel.file.size)

    var environment = EnvironmentBlock()
    if let rsdp {
        environment.set("RSDP_ADDR", hex: rsdp.address)
        environment.set("RSDP_SIZE", hex: UInt64(rsdp.size))
    }
    environment.set("REDOXFS_BLOCK", hex: volume.startBlock)
    environment.set("REDOXFS_UUID", uuid)
    if !password.isEmpty {
        let copy = PhysicalMemory.allocate(password.count, for: "password")
        copy.copyBytes(from: password)
        areas.add(base: bits(copy.baseAddress), size: UInt64(copy.count), kind: .reserved)
        environment.set("REDOXFS_PASSWORD_ADDR", hex: bits(copy.baseAddress))
        environment.set("REDOXFS_PASSWORD_SIZE", hex: UInt64(password.count))
        password.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    if let videoMode {
        // Below 4 GiB, hence inside the physical map (spec §8.3).
        environment.set("FRAMEBUFFER_ADDR", hex: videoMode.frameBuffer)
        environment.set("FRAMEBUFFER_VIRT", hex: videoMode.frameBuffer + PageTables.physicalOffset)
        environment.set("FRAMEBUFFER_WIDTH", hex: UInt64(videoMode.width))
        environment.set("FRAMEBUFFER_HEIGHT", hex: UInt64(videoMode.height))
        environment.set("FRAMEBUFFER_STRIDE", hex: UInt64(videoMode.stride))
        Console.print("Framebuffer \(videoMode.width)x\(videoMode.height) at \(address: videoMode.frameBuffer)")
    }

    let arguments = KernelArgs(
        kernelBase: kernel.file.address, kernelSize: UInt64(kernel.file.size),
        stackBase: bits(stack.baseAddress), stackSize: UInt64(stack.count),
        envBase: environment.address, envSize: UInt64(environment.count),
        hardwareDescriptionBase: rsdp?.address ?? 0, hardwareDescriptionSize: UInt64(rsdp?.size ?? 0),
        areasBase: areas.address, areasSize: UInt64(MemoryAreas.byteCount),
        bootstrapBase: initfs.address, bootstrapSize: UInt64(initfs.memory.count))
    if let videoMode, !VBE.setMode(videoMode) {
        Console.fatal("Failed to set video mode \(videoMode.width)x\(videoMode.height)")
    }
    Handoff.enterKernel(entry: kernel.entry, pageTables: pageTables, areas: areas, memoryMap: memoryMap,
                        argumentsAddress: arguments.store(),
                        stackTop: bits(stack.baseAddress) + UInt64(stack.count) + PageTables.physicalOffset)
}
