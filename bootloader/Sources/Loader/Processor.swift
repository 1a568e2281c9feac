// Processor access every loader shares: the C side is bootloader/shim/<arch>/cpu.c (UEFI), or
// bootloader/shim/x86_64/cpu.c and bootloader/bios/shim/start.c (BIOS stage 3). What only one
// architecture has is declared in x86_64/PortIO.swift or aarch64/ProcessorAccess.swift.

@_extern(c, "cpu_pause") func cpu_pause()
@_extern(c, "cpu_halt_forever") private func cpu_halt()
@_extern(c, "cpu_enter_kernel") private func cpu_enter(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64)

/// Stops the processor for good (interrupts masked, then a halt or wait-for-interrupt loop).
func cpu_halt_forever() -> Never {
    cpu_halt()
    while true {}
}

/// Spec §9: installs `pageTable`, switches to `stackTop` and starts the kernel at `entry` with
/// `args` (&KernelArgs) as its argument. x86_64: CR3, RDI, a call (the return address is pushed);
/// BIOS: the same through stage 2's long-mode trampoline; aarch64: EL1 with the MMU on, TTBR0 =
/// TTBR1 = `pageTable`, X0, a branch.
func cpu_enter_kernel(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64) -> Never {
    cpu_enter(pageTable, stackTop, entry, args)
    while true {}
}
