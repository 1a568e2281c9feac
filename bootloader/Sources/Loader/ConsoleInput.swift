/// Keyboard input: the firmware console (which includes the serial terminal when the firmware
/// runs one), and COM1 read directly when it does not.
/// (The keys, and what a serial byte means: ConsoleKey.swift.)
enum ConsoleInput {
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
            return key(serialByte: byte)
        }
        return nil
    }
}
