// Processor access implemented in bootloader/shim/cpu.c.

@_extern(c, "cpu_in8") func cpu_in8(_ port: UInt16) -> UInt8
@_extern(c, "cpu_out8") func cpu_out8(_ port: UInt16, _ value: UInt8)
@_extern(c, "cpu_pause") func cpu_pause()
@_extern(c, "cpu_halt_forever") func cpu_halt_forever() -> Never
@_extern(c, "cpu_enter_kernel") func cpu_enter_kernel(_ pageTable: UInt64, _ stackTop: UInt64, _ entry: UInt64, _ args: UInt64) -> Never
