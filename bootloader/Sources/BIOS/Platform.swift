/// What differs between the loader's platforms, for x86 BIOS (stage 3).
enum Platform {
    static let name: StaticString = "x86/BIOS"

    /// Waits a little while polling for input.
    static func idle() {
        for _ in 0..<1000 { cpu_pause() }
    }
}
