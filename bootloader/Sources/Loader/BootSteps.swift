import RedoxFSFormat

/// The steps of a boot that do not depend on the firmware, shared by the UEFI loader (Main.swift)
/// and the BIOS loader's stage 3 (BIOS/Main.swift), which take them in upstream's order between
/// their own firmware steps. Every failure ends in `Console.fatal`.
enum BootSteps {
    /// The kernel and the initfs in memory, and the page tables that map the kernel.
    struct LoadedSystem {
        var kernel: BootFiles.Kernel
        var initfs: BootFiles.LoadedFile
        var pageTables: PageTables
    }

    /// Prints `Redox OS Bootloader <version> on <platform>`.
    static func printBanner() {
        Console.print("Redox OS Bootloader \(Loader.version) on \(Platform.name)")
    }

    /// Prints which hardware descriptor the kernel gets: the device tree, else the RSDP, else none.
    static func printHardwareDescriptor(deviceTree: HardwareTable? = nil, rsdp: HardwareTable?) {
        if let deviceTree {
            Console.print("Hardware descriptor: device tree at \(address: deviceTree.address), \(deviceTree.size) bytes")
        } else if let rsdp {
            Console.print("Hardware descriptor: ACPI RSDP at \(address: rsdp.address), \(rsdp.size) bytes")
        } else {
            Console.print("Hardware descriptor: none")
        }
    }

    /// Finds the RedoxFS volume (asking for the password when it is encrypted) and prints
    /// `RedoxFS <uuid>: <size> MiB`. The password is empty when none was needed.
    static func openVolume() -> (volume: BootVolume, password: [UInt8], uuid: Message) {
        let (volume, password) = VolumeSearch.open()
        let uuid = Message(uuid: volume.header.uuid)
        Console.print("RedoxFS \(uuid): \(volume.header.size >> 20) MiB")
        return (volume, password, uuid)
    }

    /// Reads the kernel and the initfs from the volume and builds the page tables mapping the kernel.
    static func loadSystem(from volume: inout BootVolume, areas: MemoryAreas) -> LoadedSystem {
        let kernel = BootFiles.loadKernel(from: &volume)
        let initfs = BootFiles.loadInitfs(from: &volume)
        let pageTables = PageTables(areas: areas)
        pageTables.mapKernel(physical: kernel.file.address, size: kernel.file.size)
        return LoadedSystem(kernel: kernel, initfs: initfs, pageTables: pageTables)
    }
}
