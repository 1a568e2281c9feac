/// The loader's console on BIOS machines: the VGA text screen (80×25 at 0xB8000, grey on black,
/// scrolling) and COM1, always both. Writing never allocates; text, lines and the serial
/// terminal's sequences are ConsoleText's.
enum Console: ConsoleText {
    private static let columns = 80
    private static let rows = 25
    private static let attribute: UInt16 = 0x07
    nonisolated(unsafe) private static var currentAttribute: UInt16 = 0x07
    nonisolated(unsafe) private static var row = 0
    nonisolated(unsafe) private static var column = 0

    private static var screen: UnsafeMutablePointer<UInt16> {
        UnsafeMutablePointer(bitPattern: UInt(0xB8000))!
    }

    /// 80×25 text mode through INT 10h, cursor hidden, screen cleared; COM1 at 115200 8N1.
    static func setUp() {
        SerialPort.configure()
        var registers = BIOS.Registers(eax: 0x0003)
        BIOS.interrupt(0x10, &registers)
        registers = BIOS.Registers(eax: 0x0100, ecx: 0x3F00)
        BIOS.interrupt(0x10, &registers)
        clear()
    }

    static func clear() {
        for cell in 0..<columns * rows { screen[cell] = attribute << 8 | 0x20 }
        row = 0
        column = 0
    }

    /// Writes ASCII `bytes` ("\n" ends a line, 0x08 moves back) to the screen and COM1.
    static func write(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { put(byte) }
        SerialPort.write(bytes)
    }

    /// The cursor's row on the screen.
    static var cursorRow: Int { row }

    /// Moves the cursor (on the screen, and by an ANSI sequence on COM1).
    static func moveCursor(column: Int, row: Int) {
        self.column = min(max(column, 0), columns - 1)
        self.row = min(max(row, 0), rows - 1)
        moveSerialCursor(column: self.column, row: self.row)
    }

    /// Highlighted text (black on grey) or normal text (grey on black).
    static func highlight(_ on: Bool) {
        currentAttribute = on ? 0x70 : 0x07
        highlightSerial(on)
    }

    /// Prints `message` as a fatal error, waits for a key and restarts the machine.
    static func fatal(_ message: Message) -> Never {
        printFatal(message)
        waitForRestartKey { Platform.idle() }
        // Pulse the reset line through the keyboard controller.
        cpu_out8(0x64, 0xFE)
        cpu_halt_forever()
    }

    /// Prints `message` as a fatal error and halts, without allocating.
    static func fatal(static message: StaticString) -> Never {
        write("\nBOOTLOADER ERROR: ")
        write(message)
        write("\nThe system is halted.\n")
        cpu_halt_forever()
    }

    private static func put(_ byte: UInt8) {
        switch byte {
        case 0x0A:
            column = 0
            row += 1
        case 0x0D:
            column = 0
        case 0x08:
            if column > 0 { column -= 1 }
        default:
            screen[row * columns + column] = currentAttribute << 8 | UInt16(byte)
            column += 1
            if column == columns {
                column = 0
                row += 1
            }
        }
        if row == rows {
            for cell in 0..<columns * (rows - 1) { screen[cell] = screen[cell + columns] }
            for cell in columns * (rows - 1)..<columns * rows { screen[cell] = attribute << 8 | 0x20 }
            row = rows - 1
        }
    }
}
