@_extern(c, "trap_handler_address") func trap_handler_address() -> UInt64

/// Turns processor exceptions in the loader into a clear message instead of the firmware's
/// register dump (a failed runtime check traps: UD2 on x86_64, BRK on aarch64). Which exceptions
/// and what they say is per architecture (<arch>/CPUException.swift).
enum ExceptionHandlers {
    /// Registers the handler through EFI_CPU_ARCH_PROTOCOL.RegisterInterruptHandler; without the
    /// protocol the firmware's own handler stays.
    static func install() {
        register(trap_handler_address())
    }

    /// Gives the exceptions back to the firmware before the hand-off: the loader's memory becomes
    /// the kernel's, so its handler must not outlive it.
    static func uninstall() {
        register(0)
    }

    private static func register(_ handler: UInt64) {
        guard let boot = Firmware.boot, let interface = boot.locate(.cpuArchitecture) else { return }
        let cpu = FirmwareTable(interface)
        for exception in CPUException.reported {
            cpu.callMember(40, UInt64(exception), handler)
        }
    }
}

@_cdecl("loader_exception")
func loaderException(type: UInt64) {
    CPUException.fail(type)
}
