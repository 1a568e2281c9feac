/// The variables of the environment block that every loader sets the same way (spec §5).
extension EnvironmentBlock {
    /// `addressKey` and `sizeKey` (e.g. RSDP_ADDR, RSDP_SIZE) for a hardware table; nothing
    /// without one.
    mutating func set(_ addressKey: StaticString, _ sizeKey: StaticString, for table: HardwareTable?) {
        guard let table else { return }
        set(addressKey, hex: table.address)
        set(sizeKey, hex: UInt64(table.size))
    }

    /// REDOXFS_BLOCK and REDOXFS_UUID: where the kernel finds the volume again.
    mutating func setVolume(block: UInt64, uuid: Message) {
        set("REDOXFS_BLOCK", hex: block)
        set("REDOXFS_UUID", uuid)
    }

    /// Hands a password over (nothing when it is empty): a copy in memory reserved from the
    /// kernel's free list, named by REDOXFS_PASSWORD_ADDR and _SIZE; `password` is wiped.
    mutating func handOver(password: inout [UInt8], areas: MemoryAreas) {
        guard !password.isEmpty else { return }
        let copy = PhysicalMemory.allocate(password.count, for: "password")
        copy.copyBytes(from: password)
        areas.add(base: bits(copy.baseAddress), size: UInt64(copy.count), kind: .reserved)
        set("REDOXFS_PASSWORD_ADDR", hex: bits(copy.baseAddress))
        set("REDOXFS_PASSWORD_SIZE", hex: UInt64(password.count))
        password.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// FRAMEBUFFER_ADDR, _VIRT, _WIDTH, _HEIGHT and _STRIDE of the frame buffer at physical
    /// `address`, which the kernel reaches at `virtualAddress`; prints `Framebuffer WxH at address`.
    mutating func setFramebuffer(address: UInt64, virtualAddress: UInt64, width: Int, height: Int, stride: Int) {
        set("FRAMEBUFFER_ADDR", hex: address)
        set("FRAMEBUFFER_VIRT", hex: virtualAddress)
        set("FRAMEBUFFER_WIDTH", hex: UInt64(width))
        set("FRAMEBUFFER_HEIGHT", hex: UInt64(height))
        set("FRAMEBUFFER_STRIDE", hex: UInt64(stride))
        Console.print("Framebuffer \(width)x\(height) at \(address: address)")
    }
}
