// The hand-off probe: receives control from the loader exactly as the Redox kernel would, checks
// what it can about the machine state and the arguments, prints them on COM1 and powers QEMU off
// through isa-debug-exit (I/O port 0xF4): exit status 33 when every check passed, 35 otherwise.

// Architecture facts (kernelOffset, entryStackOffset, checkMachineState, PageTableFormat) live in
// <arch>/MachineChecks.swift; the page-table walk and physicalOffset in PageTableChecks.swift.

@_cdecl("kernel_main")
func kernelMain(arguments: UInt64) {
    Serial.write("kernel: started, KernelArgs at ")
    Serial.hex(arguments)
    Serial.write("\n")
    let args = KernelArgs(address: arguments)
    for index in 0..<KernelArgs.fieldCount {
        Serial.write("kernel: ")
        Serial.write(KernelArgs.name(index))
        Serial.write("=")
        Serial.hex(args.field(index))
        Serial.write("\n")
    }

    var checks = Checks()
    checkMachineState(&checks)
    checkArguments(args, &checks)
    checkMappings(args, &checks)
    checkAreas(args, &checks)
    printEnvironment(args)
    checkPassword(args, &checks)
    checkFramebuffer(args, &checks)
    printInitfsHeader(args, &checks)

    Serial.write("kernel: ")
    Serial.decimal(UInt64(checks.passed))
    Serial.write(" checks passed, ")
    Serial.decimal(UInt64(checks.failed))
    Serial.write(" failed\n")
    kernel_out8(0xF4, checks.failed == 0 ? 0x10 : 0x11)
}

private func checkArguments(_ args: KernelArgs, _ checks: inout Checks) {
    checks.expect(args.stackSize == 0x20000, "stack_size is 128 KiB")
    let stackTop = args.stackBase + args.stackSize + physicalOffset
    checks.expect(kernel_entry_rsp() == stackTop - entryStackOffset, entryStackCheck)
    checks.expect(args.areasSize == 24576, "areas_size is 1024 entries of 24 bytes")
    checks.expect(args.envSize > 0 && args.envSize <= 65536, "env_size within 64 KiB")
    checks.expect(args.envBase % 4096 == 0 && args.areasBase % 4096 == 0 && args.bootstrapBase % 4096 == 0
                  && args.kernelBase % 4096 == 0 && args.stackBase % 4096 == 0, "regions are page aligned")
    checks.expect(args.bootstrapSize > 0 && args.bootstrapSize % 4096 == 0, "bootstrap_size is whole pages")
    let highest = max(args.kernelBase + args.kernelSize, args.bootstrapBase + args.bootstrapSize,
                      args.envBase + args.envSize, args.areasBase + args.areasSize)
    checks.expect(highest <= 8 << 30, "everything lies below 8 GiB")
    if args.hardwareDescriptionSize > 0 {
        let table = UnsafeRawPointer(bitPattern: UInt(args.hardwareDescriptionBase + physicalOffset))!
        let isRSDP = table.load(as: UInt64.self) == 0x2052_5450_2044_5352
        let isDeviceTree = table.load(as: UInt32.self) == 0xEDFE_0DD0   // 0xd00dfeed, big-endian
        checks.expect(isRSDP || isDeviceTree, "hwdesc is an RSDP (\"RSD PTR \") or a device tree")
    }
}

private func checkMappings(_ args: KernelArgs, _ checks: inout Checks) {
    let mapped = UnsafeRawPointer(bitPattern: UInt(kernelOffset))!
    let physical = UnsafeRawPointer(bitPattern: UInt(args.kernelBase))!
    checks.expect(mapped.loadUnaligned(as: UInt32.self) == 0x464C_457F, "ELF magic visible at KERNEL_OFFSET")
    var same = true
    for offset in stride(from: 0, to: Int(args.kernelSize), by: 4096) where
        mapped.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != physical.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
        same = false
    }
    checks.expect(same, "KERNEL_OFFSET maps kernel_base page by page")
    let code = UInt64(UInt(bitPattern: unsafeBitCast(kernelMain as @convention(c) (UInt64) -> Void, to: UnsafeRawPointer.self)))
    checks.expect(code >= kernelOffset && code < kernelOffset + args.kernelSize, "running at KERNEL_OFFSET")
    let environmentIdentity = UnsafeRawPointer(bitPattern: UInt(args.envBase))!
    let environmentHigh = UnsafeRawPointer(bitPattern: UInt(args.envBase + physicalOffset))!
    checks.expect(environmentIdentity.load(as: UInt64.self) == environmentHigh.load(as: UInt64.self),
                  "env readable at identity and PHYS_OFFSET")
    checkPageTables(&checks)
}

/// When the volume was unlocked, the password bytes must be readable and kept out of free memory.
private func checkPassword(_ args: KernelArgs, _ checks: inout Checks) {
    let environment = Environment(base: args.envBase + physicalOffset, size: Int(min(args.envSize, 65536)))
    guard let address = environment.hexValue("REDOXFS_PASSWORD_ADDR"),
          let size = environment.hexValue("REDOXFS_PASSWORD_SIZE") else { return }
    Serial.write("kernel: password bytes=")
    Serial.write(bytesAt: address + physicalOffset, count: Int(min(size, 256)))
    Serial.write("\n")
    checks.expect(address % 4096 == 0, "password copy is page aligned")
    checks.expect(area(containing: address, size: size, in: args) == 3, "password copy lies in a Reserved area")
}

/// When a video mode was chosen: the frame buffer is where the environment says, and writable
/// through FRAMEBUFFER_VIRT (read back through the identity map).
private func checkFramebuffer(_ args: KernelArgs, _ checks: inout Checks) {
    let environment = Environment(base: args.envBase + physicalOffset, size: Int(min(args.envSize, 65536)))
    guard let physical = environment.hexValue("FRAMEBUFFER_ADDR"), let virtual = environment.hexValue("FRAMEBUFFER_VIRT"),
          let width = environment.hexValue("FRAMEBUFFER_WIDTH"), let height = environment.hexValue("FRAMEBUFFER_HEIGHT"),
          let stride = environment.hexValue("FRAMEBUFFER_STRIDE") else { return }
    checks.expect(virtual == physical + physicalOffset, "FRAMEBUFFER_VIRT = FRAMEBUFFER_ADDR + PHYS_OFFSET")
    checks.expect(width > 0 && height > 0 && stride >= width, "frame buffer stride >= width > 0")
    guard width > 0, height > 0, stride >= width else { return }
    let last = Int(stride * (height - 1) + width - 1)
    let mapped = UnsafeMutablePointer<UInt32>(bitPattern: UInt(virtual))!
    let identity = UnsafeMutablePointer<UInt32>(bitPattern: UInt(physical))!
    mapped[0] = 0x00FF_8000
    mapped[last] = 0x0000_80FF
    checks.expect(identity[0] == 0x00FF_8000 && identity[last] == 0x0000_80FF,
                  "frame buffer writable through FRAMEBUFFER_VIRT (first and last pixel)")
}

/// The kind of the first area that contains `size` bytes at `address`, or 0.
private func area(containing address: UInt64, size: UInt64, in args: KernelArgs) -> UInt64 {
    let areas = UnsafeRawPointer(bitPattern: UInt(args.areasBase))!
    for index in 0..<1024 {
        let base = areas.loadUnaligned(fromByteOffset: 24 * index, as: UInt64.self)
        let length = areas.loadUnaligned(fromByteOffset: 24 * index + 8, as: UInt64.self)
        let kind = areas.loadUnaligned(fromByteOffset: 24 * index + 16, as: UInt64.self)
        if kind != 0 && base <= address && address + size <= base + length { return kind }
    }
    return 0
}

private func checkAreas(_ args: KernelArgs, _ checks: inout Checks) {
    let areas = UnsafeRawPointer(bitPattern: UInt(args.areasBase))!
    var used = 0
    var free: UInt64 = 0
    var kindsValid = true
    var reclaim = false
    for index in 0..<1024 {
        let size = areas.loadUnaligned(fromByteOffset: 24 * index + 8, as: UInt64.self)
        let kind = areas.loadUnaligned(fromByteOffset: 24 * index + 16, as: UInt64.self)
        if kind == 0 { continue }
        used += 1
        if kind < 1 || kind > 3 { kindsValid = false }
        if kind == 1 { free += size }
        if kind == 2 { reclaim = true }
    }
    Serial.write("kernel: memory areas: ")
    Serial.decimal(UInt64(used))
    Serial.write(" entries, ")
    Serial.decimal(free >> 20)
    Serial.write(" MiB free\n")
    checks.expect(kindsValid && used > 0, "memory area kinds are Free, Reclaim or Reserved")
    checks.expect(free >= 16 << 20, "at least 16 MiB of free memory")
    checks.expect(reclaim, "page tables recorded as Reclaim")
    checks.expect(area(containing: args.kernelBase, size: args.kernelSize, in: args) == 3,
                  "kernel image lies in a Reserved area")
}

private func printEnvironment(_ args: KernelArgs) {
    Serial.write("kernel: environment begin\n")
    Serial.write(bytesAt: args.envBase + physicalOffset, count: Int(min(args.envSize, 65536)))
    Serial.write("kernel: environment end\n")
}

private func printInitfsHeader(_ args: KernelArgs, _ checks: inout Checks) {
    let header = UnsafeRawPointer(bitPattern: UInt(args.bootstrapBase + physicalOffset))!
    Serial.write("kernel: initfs magic=")
    Serial.write(bytesAt: args.bootstrapBase + physicalOffset, count: 8)
    Serial.write(" inode_table_offset=")
    Serial.hex(UInt64(header.loadUnaligned(fromByteOffset: 0x08, as: UInt32.self)), digits: 8)
    Serial.write(" initfs_size=")
    Serial.decimal(header.loadUnaligned(fromByteOffset: 0x0C, as: UInt64.self))
    Serial.write(" page_size=")
    Serial.decimal(UInt64(header.loadUnaligned(fromByteOffset: 0x14, as: UInt16.self)))
    Serial.write(" root_inode=")
    Serial.decimal(UInt64(header.loadUnaligned(fromByteOffset: 0x16, as: UInt16.self)))
    Serial.write(" inode_count=")
    Serial.decimal(UInt64(header.loadUnaligned(fromByteOffset: 0x18, as: UInt16.self)))
    Serial.write(" bootstrap_entry=")
    Serial.hex(header.loadUnaligned(fromByteOffset: 0x1A, as: UInt64.self))
    Serial.write("\n")
    checks.expect(header.loadUnaligned(as: UInt64.self) == 0x7774_4678_6F64_6552, "initfs magic RedoxFtw")
    let size = header.loadUnaligned(fromByteOffset: 0x0C, as: UInt64.self)
    checks.expect(size <= args.bootstrapSize && args.bootstrapSize - size < 4096, "bootstrap_size = initfs_size rounded up to 4096")
}
