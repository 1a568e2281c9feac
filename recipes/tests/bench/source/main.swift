// bench: the cost of a system call round trip and of a scheme request round trip (through zerod),
// each against a plain function call, in time-stamp-counter cycles as the emulator reports them.

import RedoxRuntime

@_cdecl("program_main")
func programMain() -> Int {
    let rounds = 2000
    var value: UInt64 = 1
    let start = timestamp()
    for _ in 0..<rounds { value = emptyFunction(value) }
    let call = max(1, (timestamp() - start) / UInt64(rounds))

    let syscallStart = timestamp()
    for _ in 0..<rounds { _ = Sys.call(SyscallNumber.fcntl, 1, 1) }
    let syscall = (timestamp() - syscallStart) / UInt64(rounds)

    let fd = Sys.open("/scheme/zero", flags: OpenFlags.readOnly)
    var byte: UInt8 = 0
    let schemeStart = timestamp()
    for _ in 0..<rounds / 4 { _ = withUnsafeMutableBytes(of: &byte) { Sys.read(fd, $0) } }
    let scheme = (timestamp() - schemeStart) / UInt64(rounds / 4)
    _ = Sys.close(fd)

    say("bench: function call ", .number(Int(call)), " cycles; system call round trip ", .number(Int(syscall)),
        " cycles (", .number(Int(syscall / call)), "x a call); scheme request round trip ", .number(Int(scheme)),
        " cycles (", .number(Int(scheme / call)), "x a call, ", .number(Int(scheme / max(1, syscall))), "x a system call)")
    return value == 0 ? 1 : 0
}
