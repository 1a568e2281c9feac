import RedoxFSFormat

/// Entry from bootloader/shim/entry.c: the whole boot, in upstream's order. Every failure ends in
/// `Console.fatal`, which prints the reason and waits.
@_cdecl("loader_main")
func loaderMain(imageHandle: UnsafeMutableRawPointer, systemTable: UnsafeMutableRawPointer) {
    Firmware.start(imageHandle: bits(imageHandle), systemTable: systemTable)
    guard let system = Firmware.systemTable, let boot = Firmware.boot else { return }
    Console.setUp()
    ExceptionHandlers.install()
    BootSteps.printBanner()
    Platform.announce()

    // aarch64 prefers a device tree when the firmware offers one; x86_64 always uses ACPI.
    let deviceTree = Platform.prefersDeviceTree ? DeviceTree.copy(from: system) : nil
    let rsdp = deviceTree == nil ? ACPI.copyRSDP(from: system) : nil
    BootSteps.printHardwareDescriptor(deviceTree: deviceTree, rsdp: rsdp)

    let areas = MemoryAreas()
    var (volume, password, uuid) = BootSteps.openVolume()

    ModeSelection.live = LiveMode.enabledByDefault
    let display = Framebuffer.findOutput(bootServices: boot)
    let chosenMode = display.flatMap { Framebuffer.chooseMode(for: $0.output, handle: $0.handle, bootServices: boot) }
    let stack = PhysicalMemory.allocate(Loader.stackSize, for: "stack")
    let live = ModeSelection.live == true ? LiveMode.copy(&volume, areas: areas) : nil
    let loaded = BootSteps.loadSystem(from: &volume, areas: areas)

    var environment = EnvironmentBlock()
    environment.set("RSDP_ADDR", "RSDP_SIZE", for: rsdp)
    environment.set("DTB_ADDR", "DTB_SIZE", for: deviceTree)
    if let live {
        environment.set("DISK_LIVE_ADDR", hex: live.address)
        environment.set("DISK_LIVE_SIZE", hex: live.size)
    }
    environment.setVolume(block: live == nil ? volume.startBlock : 0, uuid: uuid)
    environment.handOver(password: &password, areas: areas)
    if let display, let chosenMode, let videoMode = Framebuffer.set(chosenMode, on: display.output) {
        let output = Framebuffer.map(videoMode, in: loaded.pageTables)
        environment.setFramebuffer(address: videoMode.frameBuffer, virtualAddress: output.virtualAddress,
                                   width: videoMode.width, height: videoMode.height, stride: videoMode.stride)
    }

    let arguments = KernelArgs(loaded, stack: stack, environment: environment, hardware: deviceTree ?? rsdp, areas: areas)
    Handoff.enterKernel(entry: loaded.kernel.entry, pageTables: loaded.pageTables, areas: areas,
                        argumentsAddress: arguments.store(), stackTop: arguments.stackTop)
}
