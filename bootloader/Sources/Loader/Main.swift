import RedoxFSFormat

/// The loader's version, printed in the banner.
enum Loader {
    static let version: StaticString = "1.0.0"
    /// Size of the boot stack handed to the kernel.
    static let stackSize = 0x20000
}

/// Entry from bootloader/shim/entry.c: the whole boot, in upstream's order. Every failure ends in
/// `Console.fatal`, which prints the reason and waits.
@_cdecl("loader_main")
func loaderMain(imageHandle: UnsafeMutableRawPointer, systemTable: UnsafeMutableRawPointer) {
    Firmware.start(imageHandle: bits(imageHandle), systemTable: systemTable)
    guard let system = Firmware.systemTable, let boot = Firmware.boot else { return }
    Console.setUp()
    ExceptionHandlers.install()
    Console.print("Redox OS Bootloader \(Loader.version) on x86_64/UEFI")

    let rsdp = ACPI.copyRSDP(from: system)
    if let rsdp {
        Console.print("Hardware descriptor: ACPI RSDP at \(address: rsdp.address), \(rsdp.size) bytes")
    } else {
        Console.print("Hardware descriptor: none")
    }

    let areas = MemoryAreas()
    var (volume, password) = VolumeSearch.open()
    let uuid = Message(uuid: volume.header.uuid)
    Console.print("RedoxFS \(uuid): \(volume.header.size >> 20) MiB")

    let videoMode = Framebuffer.find(bootServices: boot)
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
        hardwareDescriptionBase: rsdp?.address ?? 0, hardwareDescriptionSize: UInt64(rsdp?.size ?? 0),
        areasBase: areas.address, areasSize: UInt64(MemoryAreas.byteCount),
        bootstrapBase: initfs.address, bootstrapSize: UInt64(initfs.memory.count))
    Handoff.enterKernel(entry: kernel.entry, pageTables: pageTables, areas: areas,
                        argumentsAddress: arguments.store(),
                        stackTop: bits(stack.baseAddress) + UInt64(stack.count) + PageTables.physicalOffset)
}
