@_extern(c, "trap_handler_address") func trap_handler_address() -> UInt64

/// Turns processor exceptions in the loader into a clear message instead of the firmware's
/// register dump: a failed runtime check (bounds, overflow, unwrapping nil) executes UD2.
enum ExceptionHandlers {
    /// Divide error, invalid opcode (runtime checks), general protection, page fault.
    private static let exceptions: [Int] = [0, 6, 13, 14]

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
        for exception in exceptions {
            cpu.callMember(40, UInt64(exception), handler)
        }
    }
}

@_cdecl("loader_exception")
func loaderException(type: UInt64) {
    switch type {
    case 0: Console.fatal(static: "internal error: divide error (CPU exception 0)")
    case 6: Console.fatal(static: "internal error: a runtime check failed (CPU exception 6, invalid opcode)")
    case 13: Console.fatal(static: "internal error: general protection fault (CPU exception 13)")
    case 14: Console.fatal(static: "internal error: page fault (CPU exception 14)")
    default: Console.fatal(static: "internal error: CPU exception")
    }
}
