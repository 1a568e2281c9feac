/// The first 16550 UART (COM1, I/O port 0x3F8), driven directly.
enum SerialPort {
    private static let base: UInt16 = 0x3F8
    private static let dataReady: UInt8 = 0x01
    private static let transmitEmpty: UInt8 = 0x20

    /// 115200 baud, 8 data bits, no parity, one stop bit, FIFOs on.
    static func configure() {
        cpu_out8(base + 1, 0x00)      // no interrupts
        cpu_out8(base + 3, 0x80)      // divisor latch access
        cpu_out8(base + 0, 0x01)      // divisor 1 = 115200 baud
        cpu_out8(base + 1, 0x00)
        cpu_out8(base + 3, 0x03)      // 8N1
        cpu_out8(base + 2, 0xC7)      // FIFOs enabled and cleared
        cpu_out8(base + 4, 0x03)      // DTR, RTS
    }

    static func write(_ byte: UInt8) {
        var spins = 0
        while cpu_in8(base + 5) & transmitEmpty == 0 && spins < 100_000 {
            cpu_pause()
            spins += 1
        }
        cpu_out8(base, byte)
    }

    /// The next received byte, or nil when none is waiting.
    static func read() -> UInt8? {
        cpu_in8(base + 5) & dataReady != 0 ? cpu_in8(base) : nil
    }
}
