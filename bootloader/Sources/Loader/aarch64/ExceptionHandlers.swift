@_extern(c, "trap_handler_address") func trap_handler_address() -> UInt64

/// Turns processor exceptions in the loader into a clear message instead of the firmware's
/// register dump: a failed runtime check (bounds, overflow, unwrapping nil) executes BRK, which
/// is a synchronous exception, as are data and instruction aborts.
enum ExceptionHandlers {
    /// EXCEPT_AARCH64_SYNCHRONOUS_EXCEPTIONS and EXCEPT_AARCH64_SERROR.
    private static let exceptions: [Int] = [0, 3]

    /// Registers the handler through EFI_CPU_ARCH_PROTOCOL.RegisterInterruptHandler; without the
    /// protocol the firmware's own handler stays.
    static func install() {
        register(trap_handler_address())
    }

    /// Gives the exceptions back to the firmware before the hand-off.
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
    case 0: Console.fatal(static: "internal error: a runtime check failed or a memory access faulted (synchronous exception)")
    case 3: Console.fatal(static: "internal error: SError (asynchronous abort)")
    default: Console.fatal(static: "internal error: CPU exception")
    }
}
