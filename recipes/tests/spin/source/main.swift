// spin NAME: busy work that never yields, reporting each of 5 rounds. Two of them running at once
// both make progress only if the kernel preempts.

import RedoxRuntime

@_cdecl("program_main")
func programMain() -> Int {
    let name = Runtime.arguments.count > 1 ? Runtime.arguments[1] : bytes("?")
    var value: UInt64 = 1
    for round in 1...5 {
        for step in 0..<25_000_000 {
            value = value &* 6_364_136_223_846_793_005 &+ UInt64(step)
        }
        say("spin ", .bytes(name), ": round ", .number(round), " (", .hex(value & 0xFFFF), ")")
    }
    say("spin ", .bytes(name), ": done")
    return 0
}
