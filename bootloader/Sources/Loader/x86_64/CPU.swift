// Processor access and the heap hand-over, implemented in bootloader/shim/*.c.

@_extern(c, "cpu_in8") func cpu_in8(_ port: UInt16) -> UInt8
@_extern(c, "cpu_out8") func cpu_out8(_ port: UInt16, _ value: UInt8)
@_extern(c, "cpu_pause") func cpu_pause()
@_extern(c, "cpu_halt_forever") private func cpu_halt()
@_extern(c, "cpu_enter_kernel") private func cpu_enter(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64)
@_extern(c, "heap_set_pool_services") func heap_set_pool_services(_ allocate: UInt64, _ release: UInt64)

/// Stops the processor for good (interrupts off, HLT loop).
func cpu_halt_forever() -> Never {
    cpu_halt()
    while true {}
}

/// Loads `pageTable`, switches to `stackTop` and calls `entry` with RDI = `args`.
func cpu_enter_kernel(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64) -> Never {
    cpu_enter(pageTable, stackTop, entry, args)
    while true {}
}
