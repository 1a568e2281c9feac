// The heap's pool services (bootloader/shim/heap.c): handed over at start, withdrawn at
// ExitBootServices.
@_extern(c, "heap_set_pool_services") func heap_set_pool_services(_ allocate: UInt64, _ release: UInt64)

/// The EFI System Table handed to the application.
struct SystemTable {
    let table: FirmwareTable

    /// The console input protocol (EFI_SIMPLE_TEXT_INPUT_PROTOCOL).
    var consoleIn: TextInput? { table.table(48).map(TextInput.init) }
    /// The console output protocol (EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL).
    var consoleOut: TextOutput? { table.table(64).map(TextOutput.init) }
    var runtimeServices: RuntimeServices { RuntimeServices(table: table.table(88)!) }
    var bootServices: BootServices { BootServices(table: table.table(96)!) }

    /// The configuration table registered under `guid`, if any.
    func configurationTable(_ guid: GUID) -> UnsafeMutableRawPointer? {
        let count = Int(table.load(104, as: UInt64.self))
        guard let entries = table.pointer(112) else { return nil }
        for index in 0..<count {
            let entry = entries + index * 24
            if GUID(at: entry) == guid {
                return UnsafeMutableRawPointer(bitPattern: UInt(entry.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
            }
        }
        return nil
    }
}

/// Process-wide firmware state: set once at entry; boot services are dropped at exit.
enum Firmware {
    nonisolated(unsafe) private(set) static var imageHandle: UInt64 = 0
    nonisolated(unsafe) private(set) static var systemTable: SystemTable?
    /// False once ExitBootServices succeeded: from then on only runtime services and the hardware remain.
    nonisolated(unsafe) private(set) static var bootServicesActive = false

    /// Records the entry arguments and gives the heap its pool services.
    static func start(imageHandle: UInt64, systemTable: UnsafeMutableRawPointer) {
        self.imageHandle = imageHandle
        let system = SystemTable(table: FirmwareTable(systemTable))
        self.systemTable = system
        bootServicesActive = true
        let boot = system.bootServices.table
        heap_set_pool_services(boot.load(64, as: UInt64.self), boot.load(72, as: UInt64.self))
    }

    /// The boot services, or nil after ExitBootServices.
    static var boot: BootServices? {
        bootServicesActive ? systemTable?.bootServices : nil
    }

    /// Called right after a successful ExitBootServices: the heap is closed.
    static func didExitBootServices() {
        bootServicesActive = false
        heap_set_pool_services(0, 0)
    }
}
