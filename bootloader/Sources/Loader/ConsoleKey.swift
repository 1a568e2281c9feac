/// The keys both loaders' console input is reduced to, and what a byte from a serial terminal means.
extension ConsoleInput {
    /// A key, reduced to what the password prompt and the mode screen need.
    enum Key: Equatable {
        case character(UInt8)
        case enter
        case backspace
        case up, down, left, right
        case other
    }

    /// The key a byte from a serial terminal stands for: CR or LF is Enter, BS or DEL Backspace,
    /// printable ASCII a character.
    static func key(serialByte byte: UInt8) -> Key {
        switch byte {
        case 0x0D, 0x0A: return .enter
        case 0x08, 0x7F: return .backspace
        case 0x20...0x7E: return .character(byte)
        default: return .other
        }
    }
}
