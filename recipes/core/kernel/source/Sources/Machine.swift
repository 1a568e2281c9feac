// The single instructions of entry.S, as Swift sees them.

@_extern(c, "port_in8") func portIn8(_ port: UInt16) -> UInt8
@_extern(c, "port_out8") func portOut8(_ port: UInt16, _ value: UInt8)
@_extern(c, "cpu_cr0") func cpuCR0() -> UInt64
@_extern(c, "cpu_cr2") func cpuCR2() -> UInt64
@_extern(c, "cpu_cr3") func cpuCR3() -> UInt64
@_extern(c, "cpu_set_cr3") func cpuSetCR3(_ value: UInt64)
@_extern(c, "cpu_cr4") func cpuCR4() -> UInt64
@_extern(c, "cpu_set_cr4") func cpuSetCR4(_ value: UInt64)
@_extern(c, "cpu_rdmsr") func cpuReadMSR(_ msr: UInt32) -> UInt64
@_extern(c, "cpu_wrmsr") func cpuWriteMSR(_ msr: UInt32, _ value: UInt64)
@_extern(c, "cpu_invlpg") func cpuInvalidatePage(_ address: UInt64)
@_extern(c, "cpu_halt_forever") func cpuHaltLoop()

/// Interrupts off, `hlt` for ever.
func cpuHaltForever() -> Never {
    cpuHaltLoop()
    while true {}
}
@_extern(c, "cpu_wait_interrupt") func cpuWaitInterrupt()
@_extern(c, "cpu_rdtsc") func cpuTimestamp() -> UInt64
@_extern(c, "cpu_cpuid") func cpuID(_ leaf: UInt32, _ out: UnsafeMutablePointer<UInt32>)
@_extern(c, "cpu_rdrand") func cpuRandom() -> UInt64
@_extern(c, "cpu_load_tables") func cpuLoadTables()
@_extern(c, "cpu_set_kernel_stack") func cpuSetKernelStack(_ top: UInt64)
@_extern(c, "cpu_syscall_entry_address") func cpuSyscallEntryAddress() -> UInt64
@_extern(c, "cpu_isr_return_address") func cpuInterruptReturnAddress() -> UInt64
@_extern(c, "switch_stacks") func switchStacks(_ save: UnsafeMutablePointer<UInt64>, _ next: UInt64)

/// Fixed virtual addresses of the layout in kernel.md §1.2.
enum Layout {
    static let physicalOffset: UInt64 = 0xFFFF_8000_0000_0000
    static let kernelOffset: UInt64 = 0xFFFF_FFFF_8000_0000
    static let heapBase: UInt64 = 0xFFFF_FF7F_8000_0000
    static let heapSize: UInt64 = 16 << 20
    static let userEnd: UInt64 = 0x8000_0000_0000
    static let bootstrapBase: UInt64 = 0x1000
    static let metadataBase: UInt64 = 0x7FFF_FFFF_C000
    static let stackTop: UInt64 = 0x7FFF_FFF0_0000 + 0x10_0000 - 0x4000
    static let stackSize: UInt64 = 256 << 10
    static let mmapBase: UInt64 = 0x1000_0000_0000
    static let windowBase: UInt64 = 0x6000_0000_0000
    static let windowSlotSize: UInt64 = 2 << 20
    static let windowSlots = 256
    static let pageSize: UInt64 = 4096

    /// A pointer to physical memory through the linear map.
    static func physical(_ address: UInt64) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(address &+ physicalOffset))!
    }
}
