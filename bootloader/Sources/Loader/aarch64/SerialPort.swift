/// The PL011 UART of QEMU's `virt` machine (MMIO at 0x0900_0000), driven directly once boot
/// services are gone or when the firmware does not run a serial console itself. The firmware has
/// configured it; the loader only reads and writes.
enum SerialPort {
    private static let base: UInt64 = 0x0900_0000
    private static let data: UInt64 = 0x00
    private static let flags: UInt64 = 0x18
    private static let receiveEmpty: UInt32 = 1 << 4
    private static let transmitFull: UInt32 = 1 << 5

    /// Nothing to set up: the firmware configured the UART.
    static func configure() {}

    static func write(_ byte: UInt8) {
        var spins = 0
        while cpu_mmio_read32(base + flags) & transmitFull != 0 && spins < 100_000 {
            cpu_pause()
            spins += 1
        }
        cpu_mmio_write32(base + data, UInt32(byte))
    }

    /// The next received byte, or nil when none is waiting.
    static func read() -> UInt8? {
        cpu_mmio_read32(base + flags) & receiveEmpty == 0 ? UInt8(truncatingIfNeeded: cpu_mmio_read32(base + data)) : nil
    }
}
