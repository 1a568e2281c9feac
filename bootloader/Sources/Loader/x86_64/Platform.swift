/// What differs between the loader's platforms, for x86_64 UEFI.
enum Platform {
    static let name: StaticString = "x86_64/UEFI"
    /// x86_64 always hands over ACPI (spec §3).
    static let prefersDeviceTree = false

    /// Platform facts printed after the banner: none on x86_64.
    static func announce() {}

    /// Waits a little while polling for input.
    static func idle() {
        Firmware.boot?.stall(microseconds: 5_000)
    }
}
