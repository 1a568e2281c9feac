// The kernel's start: the loader's hand-off (bootloader.md §9.6, kernel.md §1.3), then the first
// process.

enum Kernel {
    nonisolated(unsafe) static var boot = BootInfo()
    static let version: StaticString = "0.1.0"
}

@_cdecl("kernel_start")
func kernelStart(_ arguments: UInt64, _ stackEnd: UInt64) -> Never {
    Kernel.boot = BootInfo(address: arguments)
    let boot = Kernel.boot
    Console.initialize()
    Console.write("\nkernel: Redox-compatible Swift kernel ")
    Console.write(Kernel.version)
    Console.write(" (x86_64), started at tick ")
    Console.decimal(cpuTimestamp())
    Console.write("\n")
    cpuLoadTables()
    Frames.initialize(boot)
    let totalFrames = Frames.totalFrames
    KernelPaging.initialize(boot)
    guard PageClassHeap.configure(regionBase: Layout.heapBase, capacity: Layout.heapSize, mapped: Layout.heapSize, grow: nil) else {
        panic("the kernel heap could not be set up")
    }
    enableProcessorFeatures()
    Console.write("kernel: memory: ")
    Console.decimal((totalFrames * 4096) >> 20)
    Console.write(" MiB usable, ")
    Console.decimal(((totalFrames - Frames.usedFrames) * 4096) >> 20)
    Console.write(" MiB free after page tables and a ")
    Console.decimal(Layout.heapSize >> 20)
    Console.write(" MiB heap; kernel image ")
    Console.decimal(boot.kernelSize >> 10)
    Console.write(" KiB, initfs ")
    Console.decimal(boot.bootstrapSize >> 10)
    Console.write(" KiB\n")

    let sys = SysScheme(id: 8, name: Array("sys".utf8))
    sys.environment = Array(UnsafeRawBufferPointer(start: Layout.physical(boot.envBase), count: Int(min(boot.envSize, 65_536))))
    Schemes.add(DebugScheme(id: 1, name: Array("debug".utf8)))
    Schemes.add(EventScheme(id: 2, name: Array("event".utf8)))
    Schemes.add(MemoryScheme(id: 3, name: Array("memory".utf8)))
    Schemes.add(PipeScheme(id: 4, name: Array("pipe".utf8)))
    Schemes.add(sys)
    Schemes.add(ProcessScheme(id: 9, name: Array("kernel.proc".utf8)))
    Timer.initialize()
    #if KERNEL_PANIC_TEST
    // The boot test's second kernel: a write to unmapped kernel memory must give the panic report.
    Console.write("kernel: panic test: writing to unmapped kernel memory\n")
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(0xFFFF_9000_DEAD_0000 as UInt64))!.pointee = 1
    #endif
    Spawn.bootstrap(boot)
    Console.write("kernel: starting bootstrap (entry ")
    Console.hex(Layout.physical(boot.bootstrapBase).loadUnaligned(fromByteOffset: 0x1A, as: UInt64.self))
    Console.write(")\n")
    Scheduler.schedule()
    panic("the boot context was resumed")
}

/// SSE exceptions, SYSCALL/SYSRET (STAR, LSTAR, FMASK, EFER.SCE), SMEP when present.
private func enableProcessorFeatures() {
    var cr4 = cpuCR4() | (1 << 9) | (1 << 10)
    var registers = [UInt32](repeating: 0, count: 4)
    registers.withUnsafeMutableBufferPointer { cpuID(7, $0.baseAddress!) }
    if registers[1] & (1 << 7) != 0 { cr4 |= 1 << 20 }
    cpuSetCR4(cr4)
    cpuWriteMSR(0xC000_0080, cpuReadMSR(0xC000_0080) | 1)
    cpuWriteMSR(0xC000_0081, UInt64(0x08) << 32 | UInt64(0x18 | 3) << 48)
    cpuWriteMSR(0xC000_0082, cpuSyscallEntryAddress())
    cpuWriteMSR(0xC000_0084, 0x4_0FD5)
}
