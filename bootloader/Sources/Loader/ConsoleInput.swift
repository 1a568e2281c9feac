/// Keyboard input: the firmware console (which includes the serial terminal when the firmware
/// runs one), and COM1 read directly when it does not.
enum ConsoleInput {
    /// A key, reduced to what the password prompt and the mode screen need.
    enum Key: Equatable {
        case character(UInt8)
        case enter
        case backspace
        case up, down, left, right
        case other
    }

    /// The next pending key, or nil when none is waiting.
    static func readKey() -> Key? {
        if Firmware.bootServicesActive, let input = Firmware.systemTable?.consoleIn, let key = input.readKey() {
            switch key.character {
            case 0x0D, 0x0A: return .enter
            case 0x08: return .backspace
            case 0x20...0x7E: return .character(UInt8(key.character))
            default:
                switch key.scanCode {
                case 1: return .up
                case 2: return .down
                case 3: return .right
                case 4: return .left
                case 8: return .backspace       // Delete
                default: return .other
                }
            }
        }
        if !Console.firmwareMirrorsSerial, let byte = SerialPort.read() {
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
