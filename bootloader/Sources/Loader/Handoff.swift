/// The last steps: record the firmware memory map as memory areas, exit boot services, give the
/// runtime services an identity virtual map, and jump to the kernel.
enum Handoff {
    private static let memoryMapBufferSize = 64 * 1024

    static func enterKernel(entry: UInt64, pageTables: PageTables, areas: MemoryAreas, argumentsAddress: UInt64,
                            stackTop: UInt64) -> Never {
        guard let boot = Firmware.boot, let system = Firmware.systemTable else {
            Console.fatal("boot services are already gone")
        }
        let buffer = PhysicalMemory.allocate(memoryMapBufferSize, for: "memory map")
        Console.print("Exiting boot services; kernel entry \(address: entry)")
        ExceptionHandlers.uninstall()

        // Nothing may allocate between GetMemoryMap and ExitBootServices: the map key would change.
        var map: MemoryMap?
        for _ in 0..<4 {
            let current: MemoryMap
            do throws(Status) {
                current = try boot.memoryMap(into: buffer)
            } catch {
                Console.fatal("Failed to get the memory map: \(error.name)")
            }
            guard current.descriptorVersion == 1 else {
                Console.fatal("unsupported memory map descriptor version \(current.descriptorVersion)")
            }
            if !boot.exitBootServices(mapKey: current.key).isError {
                map = current
                break
            }
        }
        guard let map else { Console.fatal("Failed to exit boot services") }
        Firmware.didExitBootServices()

        for index in 0..<map.count {
            let descriptor = map[index]
            areas.add(base: descriptor.physicalStart, size: descriptor.pageCount * UInt64(PhysicalMemory.pageSize),
                      kind: isFree(descriptor.type) ? .free : .reserved)
            descriptor.virtualStart = descriptor.physicalStart
        }
        if system.runtimeServices.setVirtualAddressMap(map).isError {
            Console.fatal(static: "SetVirtualAddressMap failed")
        }
        cpu_enter_kernel(pageTables.root, stackTop, entry, argumentsAddress)
    }

    /// LoaderCode, LoaderData, BootServicesCode, BootServicesData and ConventionalMemory are free
    /// for the kernel; everything else (the loader's own runtime-data allocations included) is not.
    private static func isFree(_ type: UInt32) -> Bool {
        switch type {
        case 1, 2, 3, 4, 7: true
        default: false
        }
    }
}
