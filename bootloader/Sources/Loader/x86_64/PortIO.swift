// x86 port I/O, implemented in bootloader/shim/x86_64/cpu.c (also built for BIOS stage 3).

@_extern(c, "cpu_in8") func cpu_in8(_ port: UInt16) -> UInt8
@_extern(c, "cpu_out8") func cpu_out8(_ port: UInt16, _ value: UInt8)
