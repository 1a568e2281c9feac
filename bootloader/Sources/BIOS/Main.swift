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
    BootSteps.printBanner()

    let rsdp = ACPI.copyRSDP()
    BootSteps.printHardwareDescriptor(rsdp: rsdp)

    let areas = MemoryAreas()
    VolumeSearch.bootDrive = UInt8(truncatingIfNeeded: drive)
    var (volume, password, uuid) = BootSteps.openVolume()

    let videoMode = ModeSelection.choose(from: VBE.modes(), preferred: VBE.preferredResolution())
    let stack = PhysicalMemory.allocate(Loader.stackSize, for: "stack")
    let system = BootSteps.loadSystem(from: &volume, areas: areas)

    var environment = EnvironmentBlock()
    environment.set("RSDP_ADDR", "RSDP_SIZE", for: rsdp)
    environment.setVolume(block: volume.startBlock, uuid: uuid)
    environment.handOver(password: &password, areas: areas)
    if let videoMode {
        // Below 4 GiB, hence inside the physical map (spec §8.3).
        environment.setFramebuffer(address: videoMode.frameBuffer, virtualAddress: videoMode.frameBuffer + PageTables.physicalOffset,
                                   width: videoMode.width, height: videoMode.height, stride: videoMode.stride)
    }

    let arguments = KernelArgs(system, stack: stack, environment: environment, hardware: rsdp, areas: areas)
    if let videoMode, !VBE.setMode(videoMode) {
        Console.fatal("Failed to set video mode \(videoMode.width)x\(videoMode.height)")
    }
    Handoff.enterKernel(entry: system.kernel.entry, pageTables: system.pageTables, areas: areas, memoryMap: memoryMap,
                        argumentsAddress: arguments.store(), stackTop: arguments.stackTop)
}
