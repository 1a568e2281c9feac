import RedoxFSFormat

/// Entry from bootloader/shim/entry.c: the whole boot, in upstream's order. Every failure ends in
/// `Console.fatal`, which prints the reason and waits.
@_cdecl("loader_main")
func loaderMain(imageHandle: UnsafeMutableRawPointer, systemTable: UnsafeMutableRawPointer) {
    Firmware.start(imageHandle: bits(imageHandle), systemTable: systemTable)
    guard let system = Firmware.systemTable, let boot = Firmware.boot else { return }
    Console.setUp()
    ExceptionHandlers.install()
    Console.print("Redox OS Bootloader \(Loader.version) on \(Platform.name)")
    Platform.announce()

    // aarch64 prefers a device tree when the firmware offers one; x86_64 always uses ACPI.
    let deviceTree = Platform.prefersDeviceTree ? DeviceTree.copy(from: system) : nil
    let rsdp = deviceTree == nil ? ACPI.copyRSDP(from: system) : nil
    if let deviceTree {
        Console.print("Hardware descriptor: device tree at \(address: deviceTree.address), \(deviceTree.size) bytes")
    } else if let rsdp {
        Console.print("Hardware descriptor: ACPI RSDP at \(address: rsdp.address), \(rsdp.size) bytes")
    } else {
        Console.print("Hardware descriptor: none")
    }
    let hardware = deviceTree ?? rsdp

    let areas = MemoryAreas()
    var (volume, password) = VolumeSearch.open()
    let uuid = Message(uuid: volume.header.uuid)
    Console.print("RedoxFS \(uuid): \(volume.header.size >> 20) MiB")

    ModeSelection.live = LiveMode.enabledByDefault
    let display = Framebuffer.findOutput(bootServices: boot)
    let chosenMode = display.flatMap { Framebuffer.chooseMode(for: $0.output, handle: $0.handle, bootServices: boot) }
    let stack = PhysicalMemory.allocate(Loader.stackSize, for: "stack")
    let live = ModeSelection.live == true ? LiveMode.copy(&volume, areas: areas) : nil
    let kernel = BootFiles.loadKernel(from: &volume)
    let initfs = BootFiles.loadInitfs(from: &volume)

    let pageTables = PageTables(areas: areas)
    pageTables.mapKernel(physical: kernel.file.address, size: kernel.file.size)

    var environment = EnvironmentBlock()
    if let rsdp {
        environment.set("RSDP_ADDR", hex: rsdp.address)
        environment.set("RSDP_SIZE", hex: UInt64(rsdp.size))
    }
    if let deviceTree {
        environment.set("DTB_ADDR", hex: deviceTree.address)
        environment.set("DTB_SIZE", hex: UInt64(deviceTree.size))
    }
    if let live {
        environment.set("DISK_LIVE_ADDR", hex: live.address)
        environment.set("DISK_LIVE_SIZE", hex: live.size)
    }
    environment.set("REDOXFS_BLOCK", hex: live == nil ? volume.startBlock : 0)
    environment.set("REDOXFS_UUID", uuid)
    if !password.isEmpty {
        let copy = PhysicalMemory.allocate(password.count, for: "password")
        copy.copyBytes(from: password)
        areas.add(base: bits(copy.baseAddress), size: UInt64(copy.count), kind: .reserved)
        environment.set("REDOXFS_PASSWORD_ADDR", hex: bits(copy.baseAddress))
        environment.set("REDOXFS_PASSWORD_SIZE", hex: UInt64(password.count))
        password.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
    if let display, let chosenMode, let videoMode = Framebuffer.set(chosenMode, on: display.output) {
        let output = Framebuffer.map(videoMode, in: pageTables)
        environment.set("FRAMEBUFFER_ADDR", hex: videoMode.frameBuffer)
        environment.set("FRAMEBUFFER_VIRT", hex: output.virtualAddress)
        environment.set("FRAMEBUFFER_WIDTH", hex: UInt64(videoMode.width))
        environment.set("FRAMEBUFFER_HEIGHT", hex: UInt64(videoMode.height))
        environment.set("FRAMEBUFFER_STRIDE", hex: UInt64(videoMode.stride))
        Console.print("Framebuffer \(videoMode.width)x\(videoMode.height) at \(address: videoMode.frameBuffer)")
    }

    let arguments = KernelArgs(
        kernelBase: kernel.file.address, kernelSize: UInt64(kernel.file.size),
        stackBase: bits(stack.baseAddress), stackSize: UInt64(stack.count),
        envBase: environment.address, envSize: UInt64(environment.count),
        hardwareDescriptionBase: hardware?.address ?? 0, hardwareDescriptionSize: UInt64(hardware?.size ?? 0),
        areasBase: areas.address, areasSize: UInt64(MemoryAreas.byteCount),
        bootstrapBase: initfs.address, bootstrapSize: UInt64(initfs.memory.count))
    Handoff.enterKernel(entry: kernel.entry, pageTables: pageTables, areas: areas,
                        argumentsAddress: arguments.store(),
                        stackTop: bits(stack.baseAddress) + UInt64(stack.count) + PageTables.physicalOffset)
}
