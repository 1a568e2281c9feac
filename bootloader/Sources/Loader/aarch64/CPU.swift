// Processor access and the heap hand-over, implemented in bootloader/shim/aarch64/cpu.c and
// bootloader/shim/heap.c.

@_extern(c, "cpu_mmio_read32") func cpu_mmio_read32(_ address: UInt64) -> UInt32
@_extern(c, "cpu_mmio_write32") func cpu_mmio_write32(_ address: UInt64, _ value: UInt32)
@_extern(c, "cpu_pause") func cpu_pause()
@_extern(c, "cpu_exception_level") func cpu_exception_level() -> UInt64
@_extern(c, "cpu_halt_forever") private func cpu_halt()
@_extern(c, "cpu_enter_kernel") private func cpu_enter(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64)
@_extern(c, "heap_set_pool_services") func heap_set_pool_services(_ allocate: UInt64, _ release: UInt64)

/// Stops the processor for good (interrupts masked, WFI loop).
func cpu_halt_forever() -> Never {
    cpu_halt()
    while true {}
}

/// Spec §9.3: drops to EL1 if needed, installs `pageTable` in TTBR0/TTBR1 with the MMU on,
/// switches to `stackTop` and branches to `entry` with X0 = `args`.
func cpu_enter_kernel(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64) -> Never {
    cpu_enter(pageTable, stackTop, entry, args)
    while true {}
}
