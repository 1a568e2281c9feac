/// What every loader's console does the same way on top of its own
/// `write(_: UnsafeRawBufferPointer)` (UEFI: Loader/Console.swift, BIOS: BIOS/Console.swift):
/// byte arrays, static text, lines, and the ANSI sequences sent to a directly driven COM1.
protocol ConsoleText {
    /// Writes ASCII `bytes` ("\n" ends a line) to every output.
    static func write(_ bytes: UnsafeRawBufferPointer)
}

extension ConsoleText {
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    static func write(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Prints one line.
    static func print(_ message: Message) {
        write(message.bytes)
        write("\n")
    }

    /// Prints `message` as a fatal error: `BOOTLOADER ERROR: ` and the message on a line of its own.
    static func printFatal(_ message: Message) {
        write("\nBOOTLOADER ERROR: ")
        print(message)
    }

    /// Asks for a key to restart and waits for one (keys typed before are dropped), running `idle`
    /// between polls.
    static func waitForRestartKey(idle: () -> Void) {
        write("Press any key to restart.\n")
        while ConsoleInput.readKey() != nil {}
        while ConsoleInput.readKey() == nil { idle() }
    }

    /// Moves a serial terminal's cursor (ESC[row;columnH, counted from 1).
    static func moveSerialCursor(column: Int, row: Int) {
        Message("\u{1B}[\(row + 1);\(column + 1)H").bytes.withUnsafeBytes { SerialPort.write($0) }
    }

    /// Highlighted (reverse video, ESC[7m) or normal (ESC[0m) text on a serial terminal.
    static func highlightSerial(_ on: Bool) {
        let sequence: [UInt8] = on ? [0x1B, 0x5B, 0x37, 0x6D] : [0x1B, 0x5B, 0x30, 0x6D]
        sequence.withUnsafeBytes { SerialPort.write($0) }
    }
}
