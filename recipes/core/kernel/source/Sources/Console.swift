// The kernel console: COM1 (16550, 115200 8N1), written directly. It is also the `debug:` scheme's
// output.

enum Console {
    static let port: UInt16 = 0x3F8

    static func initialize() {
        portOut8(port + 1, 0x00)       // no interrupts
        portOut8(port + 3, 0x80)       // divisor latch
        portOut8(port + 0, 0x01)       // 115200
        portOut8(port + 1, 0x00)
        portOut8(port + 3, 0x03)       // 8N1
        portOut8(port + 2, 0xC7)       // FIFO
        portOut8(port + 4, 0x03)
    }

    static func putByte(_ byte: UInt8) {
        var spins = 0
        while portIn8(port + 5) & 0x20 == 0 && spins < 100_000 { spins += 1 }
        portOut8(port, byte)
    }

    /// A byte of text: "\n" becomes "\r\n".
    static func put(_ byte: UInt8) {
        if byte == 0x0A { putByte(0x0D) }
        putByte(byte)
    }

    static func write(_ text: StaticString) {
        for byte in UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) { put(byte) }
    }

    static func write(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { put(byte) }
    }

    static func write(_ bytes: [UInt8]) {
        for byte in bytes { put(byte) }
    }

    static func hex(_ value: UInt64, digits: Int = 16) {
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> (4 * UInt64(index))) & 0xF
            put(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)
        }
    }

    static func decimal(_ value: UInt64) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            put(0x30 + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    static func decimal(_ value: Int) {
        if value < 0 { put(0x2D); decimal(UInt64(-value)) } else { decimal(UInt64(value)) }
    }
}
