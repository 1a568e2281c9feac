/// What differs between the loader's platforms, for x86 BIOS (stage 3).
enum Platform {
    static let name: StaticString = "x86/BIOS"

    /// Waits about 5 ms while polling for input (INT 15h AH=86h; a short spin if the BIOS
    /// refuses).
    static func idle() {
        var registers = BIOS.Registers(eax: 0x8600, ecx: 0, edx: 5000)
        BIOS.interrupt(0x15, &registers)
        if registers.carry {
            for _ in 0..<100_000 { cpu_pause() }
        }
    }
}
