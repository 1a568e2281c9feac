// The kernel console: COM1 (16550, 115200 8N1), written directly. It is also the `debug:` scheme's
// output. Text and numbers are SerialText's (shared with the loader's probe kernel).

enum Console: SerialText {
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

    static func write(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { put(byte) }
    }

    static func write(_ bytes: [UInt8]) {
        for byte in bytes { put(byte) }
    }

    static func decimal(_ value: Int) {
        if value < 0 { put(0x2D); decimal(UInt64(-value)) } else { decimal(UInt64(value)) }
    }
}
