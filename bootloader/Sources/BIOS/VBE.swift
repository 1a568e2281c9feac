/// VESA BIOS Extensions (spec §6): the mode list (4F00h, 4F01h; 32 bits per pixel with a linear
/// frame buffer only), the display's preferred resolution from EDID (4F15h BL=01h), and 4F02h to
/// set a mode with its linear frame buffer (bit 14).
enum VBE {
    private static let success: UInt32 = 0x004F

    /// The 32-bpp linear-frame-buffer modes, or none without VBE.
    static func modes() -> [VideoMode] {
        let info = LowMemory.pointer(LowMemory.vbeControllerInfo)
        info.initializeMemory(as: UInt8.self, repeating: 0, count: 512)
        info.storeBytes(of: 0x3245_4256, as: UInt32.self)   // "VBE2"
        var registers = BIOS.Registers(eax: 0x4F00, edi: LowMemory.vbeControllerInfo)
        BIOS.interrupt(0x10, &registers)
        guard registers.eax & 0xFFFF == success, info.load(as: UInt32.self) == 0x4153_4556 else { return [] }   // "VESA"
        // The mode list: a real-mode far pointer to 16-bit mode numbers ending with 0xFFFF.
        let offset = UInt32(info.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        let segment = UInt32(info.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
        var numbers: [UInt16] = []
        var address = segment << 4 + offset
        while numbers.count < 512 {
            let number = LowMemory.pointer(address).loadUnaligned(as: UInt16.self)
            if number == 0xFFFF { break }
            numbers.append(number)
            address += 2
        }
        var modes: [VideoMode] = []
        let modeInfo = LowMemory.pointer(LowMemory.vbeModeInfo)
        for number in numbers {
            modeInfo.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
            registers = BIOS.Registers(eax: 0x4F01, ecx: UInt32(number), edi: LowMemory.vbeModeInfo)
            BIOS.interrupt(0x10, &registers)
            guard registers.eax & 0xFFFF == success else { continue }
            let attributes = modeInfo.loadUnaligned(as: UInt16.self)
            let bitsPerPixel = modeInfo.load(fromByteOffset: 25, as: UInt8.self)
            let frameBuffer = modeInfo.loadUnaligned(fromByteOffset: 40, as: UInt32.self)
            // Supported (bit 0), graphics (bit 4), linear frame buffer (bit 7), 32 bpp.
            guard attributes & 0x91 == 0x91, bitsPerPixel == 32, frameBuffer != 0 else { continue }
            let bytesPerLine = Int(modeInfo.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
            modes.append(VideoMode(id: UInt32(number), width: Int(modeInfo.loadUnaligned(fromByteOffset: 18, as: UInt16.self)),
                                   height: Int(modeInfo.loadUnaligned(fromByteOffset: 20, as: UInt16.self)),
                                   stride: bytesPerLine / 4, frameBuffer: UInt64(frameBuffer)))
        }
        return modes
    }

    /// The preferred resolution from the display's EDID, or nil.
    static func preferredResolution() -> (width: Int, height: Int)? {
        let edid = LowMemory.pointer(LowMemory.edid)
        edid.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        var registers = BIOS.Registers(eax: 0x4F15, ebx: 0x01, ecx: 0, edx: 0, edi: LowMemory.edid)
        BIOS.interrupt(0x10, &registers)
        guard registers.eax & 0xFFFF == success else { return nil }
        return ModeSelection.preferredResolution(edid: UnsafeRawBufferPointer(start: edid, count: 128))
    }

    /// Sets `mode` with its linear frame buffer; false when the BIOS refuses.
    static func setMode(_ mode: VideoMode) -> Bool {
        var registers = BIOS.Registers(eax: 0x4F02, ebx: mode.id | 0x4000)
        BIOS.interrupt(0x10, &registers)
        return registers.eax & 0xFFFF == success
    }
}
