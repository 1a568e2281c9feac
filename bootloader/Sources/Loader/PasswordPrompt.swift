/// Reads a password on the console: printable characters are echoed as `*`, Backspace removes
/// the last one, Enter ends; the stars are erased afterwards.
enum PasswordPrompt {
    static func read(attempt: Int, of attempts: Int) -> [UInt8] {
        Console.write(Message("RedoxFS password (\(attempt)/\(attempts)): ").bytes)
        var password: [UInt8] = []
        while true {
            guard let key = ConsoleInput.readKey() else {
                Platform.idle()
                continue
            }
            switch key {
            case .character(let byte):
                password.append(byte)
                Console.write([UInt8(ascii: "*")])
            case .backspace:
                if !password.isEmpty {
                    password.removeLast()
                    Console.write([0x08, 0x20, 0x08])
                }
            case .enter:
                var erase: [UInt8] = []
                for _ in password { erase += [0x08, 0x20, 0x08] }
                Console.write(erase + [0x0A])
                return password
            default:
                break
            }
        }
    }
}
