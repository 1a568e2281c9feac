// bench: the cost of a system call round trip and of a scheme request round trip (through zerod),
// each against a plain function call, in time-stamp-counter cycles as the emulator reports them.
// Each figure is the best of 5 batches (the host's other load only ever adds).

import RedoxRuntime

/// The fewest cycles per operation over `batches` batches of `count` operations.
func best(batches: Int = 5, count: Int, _ operation: () -> Void) -> UInt64 {
    var result = UInt64.max
    for _ in 0..<batches {
        let start = timestamp()
        for _ in 0..<count { operation() }
        result = min(result, (timestamp() - start) / UInt64(count))
    }
    return max(result, 1)
}

@_cdecl("program_main")
func programMain() -> Int {
    var value: UInt64 = 1
    let call = best(count: 1000) { value = emptyFunction(value) }
    let syscall = best(count: 400) { _ = Sys.call(SyscallNumber.fcntl, 1, 1) }
    let fd = Sys.open("/scheme/zero", flags: OpenFlags.readOnly)
    var byte: UInt8 = 0
    let scheme = best(count: 100) { _ = withUnsafeMutableBytes(of: &byte) { Sys.read(fd, $0) } }
    _ = Sys.close(fd)

    say("bench: function call ", .number(Int(call)), " cycles; system call round trip ", .number(Int(syscall)),
        " cycles (", .number(Int(syscall / call)), "x a call); scheme request round trip ", .number(Int(scheme)),
        " cycles (", .number(Int(scheme / call)), "x a call, ", .number(Int(scheme / syscall)), "x a system call)")
    return value == 0 ? 1 : 0
}
