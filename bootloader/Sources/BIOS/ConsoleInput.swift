/// Keyboard input on BIOS machines: INT 16h and COM1, whichever has a key.
/// (The keys, and what a serial byte means: Loader/ConsoleKey.swift.)
enum ConsoleInput {
    /// The next pending key, or nil when none is waiting.
    static func readKey() -> Key? {
        var registers = BIOS.Registers(eax: 0x0100)
        BIOS.interrupt(0x16, &registers)
        if !registers.zero {
            registers = BIOS.Registers(eax: 0x0000)
            BIOS.interrupt(0x16, &registers)
            let scan = UInt8(truncatingIfNeeded: registers.eax >> 8)
            let ascii = UInt8(truncatingIfNeeded: registers.eax)
            switch scan {
            case 0x48: return .up
            case 0x50: return .down
            case 0x4B: return .left
            case 0x4D: return .right
            case 0x0E, 0x53: return .backspace
            case 0x1C: return .enter
            default: break
            }
            return ascii >= 0x20 && ascii <= 0x7E ? .character(ascii) : .other
        }
        if let byte = SerialPort.read() {
            return byte == 0x1B ? escapeSequence() : key(serialByte: byte)
        }
        return nil
    }

    /// The rest of an ANSI arrow-key sequence from the serial terminal (ESC [ A/B/C/D).
    private static func escapeSequence() -> Key {
        var bytes: [UInt8] = []
        var spins = 0
        while bytes.count < 2 && spins < 200_000 {
            if let byte = SerialPort.read() { bytes.append(byte) } else { cpu_pause(); spins += 1 }
        }
        guard bytes.count == 2, bytes[0] == UInt8(ascii: "[") else { return .other }
        switch bytes[1] {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        default: return .other
        }
    }
}
