// aarch64 processor access, implemented in bootloader/shim/aarch64/cpu.c: memory-mapped I/O and
// the current exception level.

@_extern(c, "cpu_mmio_read32") func cpu_mmio_read32(_ address: UInt64) -> UInt32
@_extern(c, "cpu_mmio_write32") func cpu_mmio_write32(_ address: UInt64, _ value: UInt32)
@_extern(c, "cpu_exception_level") func cpu_exception_level() -> UInt64
