/// The x86 processor exceptions the loaders report (UEFI x86_64 and BIOS stage 3), and what they
/// say.
enum CPUException {
    /// Divide error, invalid opcode (a failed runtime check executes UD2), general protection,
    /// page fault.
    static let reported: [Int] = [0, 6, 13, 14]

    /// Stops with the message for exception `vector`.
    static func fail(_ vector: UInt64) -> Never {
        switch vector {
        case 0: Console.fatal(static: "internal error: divide error (CPU exception 0)")
        case 6: Console.fatal(static: "internal error: a runtime check failed (CPU exception 6, invalid opcode)")
        case 13: Console.fatal(static: "internal error: general protection fault (CPU exception 13)")
        case 14: Console.fatal(static: "internal error: page fault (CPU exception 14)")
        default: Console.fatal(static: "internal error: CPU exception")
        }
    }
}
