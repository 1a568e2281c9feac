// Processor access of BIOS stage 3 beyond the loaders' common set (Loader/Processor.swift,
// Loader/x86_64/PortIO.swift), implemented in bootloader/bios/shim/*.c and shim/x86_64/cpu.c.

@_extern(c, "cpu_timestamp") func cpu_timestamp() -> UInt64
@_extern(c, "heap_initialize") func heap_initialize(_ start: UInt32, _ end: UInt32)
@_extern(c, "heap_high_water") func heap_high_water() -> UInt32
@_extern(c, "exceptions_install") func exceptions_install()

@_cdecl("bios_exception")
func biosException(vector: UInt32) {
    CPUException.fail(UInt64(vector))
}
