// Calls into the BIOS from 32-bit protected mode, through stage 2's real-mode thunk
// (bootloader/bios/stage2.S, reached through bootloader/bios/shim/start.c).

@_extern(c, "bios_interrupt") private func bios_interrupt(_ vector: UInt32, _ registers: UnsafeMutablePointer<UInt32>)

/// Real-mode interrupts with a register block.
enum BIOS {
    /// The registers an interrupt gets and returns (32-bit; segments in the low 16 bits).
    struct Registers {
        var eax: UInt32 = 0
        var ebx: UInt32 = 0
        var ecx: UInt32 = 0
        var edx: UInt32 = 0
        var esi: UInt32 = 0
        var edi: UInt32 = 0
        var ebp: UInt32 = 0
        var ds: UInt32 = 0
        var es: UInt32 = 0
        var eflags: UInt32 = 0

        var carry: Bool { eflags & 1 != 0 }
        var zero: Bool { eflags & (1 << 6) != 0 }
        var ah: UInt8 { UInt8(truncatingIfNeeded: eax >> 8) }
    }

    /// Runs INT `vector` in real mode with `registers`, which receive the results.
    static func interrupt(_ vector: UInt8, _ registers: inout Registers) {
        withUnsafeMutableBytes(of: &registers) { raw in
            bios_interrupt(UInt32(vector), raw.baseAddress!.assumingMemoryBound(to: UInt32.self))
        }
    }

    /// A real-mode segment:offset pair for a linear address below 1 MiB.
    static func segment(of address: UInt32) -> (segment: UInt32, offset: UInt32) {
        (address >> 4, address & 0xF)
    }
}

/// Fixed real-mode scratch memory (spec §2.3).
enum LowMemory {
    static let vbeControllerInfo: UInt32 = 0x1000
    static let vbeModeInfo: UInt32 = 0x1200
    static let edid: UInt32 = 0x1300
    static let e820Entry: UInt32 = 0x1380
    static let diskAddressPacket: UInt32 = 0x1398
    static let diskBuffer: UInt32 = 0x70000
    static let diskBufferSize = 0x10000

    static func pointer(_ address: UInt32) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(address))!
    }
}
