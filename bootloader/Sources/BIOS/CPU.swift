// Processor access and the heap, implemented in bootloader/bios/shim/*.c and shim/x86_64/memory.c.

@_extern(c, "cpu_in8") func cpu_in8(_ port: UInt16) -> UInt8
@_extern(c, "cpu_out8") func cpu_out8(_ port: UInt16, _ value: UInt8)
@_extern(c, "cpu_pause") func cpu_pause()
@_extern(c, "cpu_timestamp") func cpu_timestamp() -> UInt64
@_extern(c, "cpu_halt_forever") private func cpu_halt()
@_extern(c, "bios_enter_kernel") private func bios_enter(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64)
@_extern(c, "heap_initialize") func heap_initialize(_ start: UInt32, _ end: UInt32)
@_extern(c, "heap_high_water") func heap_high_water() -> UInt32

/// Stops the processor for good (interrupts off, HLT loop).
func cpu_halt_forever() -> Never {
    cpu_halt()
    while true {}
}

/// Spec §9.1 through stage 2's trampoline: long mode with `pageTable`, RSP = `stackTop`,
/// RDI = `args`, call `entry`.
func cpu_enter_kernel(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64) -> Never {
    bios_enter(pageTable, stackTop, entry, args)
    while true {}
}

@_extern(c, "exceptions_install") func exceptions_install()

@_cdecl("bios_exception")
func biosException(vector: UInt32) {
    switch vector {
    case 0: Console.fatal(static: "internal error: divide error (CPU exception 0)")
    case 6: Console.fatal(static: "internal error: a runtime check failed (CPU exception 6, invalid opcode)")
    case 13: Console.fatal(static: "internal error: general protection fault (CPU exception 13)")
    case 14: Console.fatal(static: "internal error: page fault (CPU exception 14)")
    default: Console.fatal(static: "internal error: CPU exception")
    }
}
