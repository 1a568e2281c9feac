/// Keyboard input on BIOS machines: INT 16h and COM1, whichever has a key.
enum ConsoleInput {
    /// A key, reduced to what the password prompt needs.
    enum Key: Equatable {
        case character(UInt8)
        case enter
        case backspace
        case other
    }

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
            case 0x0E, 0x53: return .backspace
            case 0x1C: return .enter
            default: break
            }
            return ascii >= 0x20 && ascii <= 0x7E ? .character(ascii) : .other
        }
        if let byte = SerialPort.read() {
            switch byte {
            case 0x0D, 0x0A: return .enter
            case 0x08, 0x7F: return .backspace
            case 0x20...0x7E: return .character(byte)
            default: return .other
            }
        }
        return nil
    }
}
