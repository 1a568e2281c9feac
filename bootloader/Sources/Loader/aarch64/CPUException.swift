/// The aarch64 exceptions the loader reports, and what they say: a failed runtime check executes
/// BRK, which is a synchronous exception, as are data and instruction aborts.
enum CPUException {
    /// EXCEPT_AARCH64_SYNCHRONOUS_EXCEPTIONS and EXCEPT_AARCH64_SERROR.
    static let reported: [Int] = [0, 3]

    /// Stops with the message for exception `type`.
    static func fail(_ type: UInt64) -> Never {
        switch type {
        case 0: Console.fatal(static: "internal error: a runtime check failed or a memory access faulted (synchronous exception)")
        case 3: Console.fatal(static: "internal error: SError (asynchronous abort)")
        default: Console.fatal(static: "internal error: CPU exception")
        }
    }
}
