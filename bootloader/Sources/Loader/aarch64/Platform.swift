/// What differs between the loader's platforms, for aarch64 UEFI.
enum Platform {
    static let name: StaticString = "aarch64/UEFI"
    /// A device tree from the firmware is handed over in preference to ACPI (spec §3).
    static let prefersDeviceTree = true

    /// Logs the exception level the firmware started the loader in (spec §3 step 2).
    static func announce() {
        Console.print("Current exception level: EL\(cpu_exception_level())")
    }

    /// Waits a little while polling for input.
    static func idle() {
        Firmware.boot?.stall(microseconds: 5_000)
    }
}
