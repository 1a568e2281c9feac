/// Text on a byte-at-a-time serial console, without allocating: the kernel's console and the
/// loader's probe kernel (bootloader/tests/kernel/Serial.swift, which builds this file too) share
/// it. A conforming type writes one byte; text, hexadecimal and decimal numbers come from here.
protocol SerialText {
    /// Writes `byte` as is.
    static func putByte(_ byte: UInt8)
}

extension SerialText {
    /// A byte of text: "\n" becomes "\r\n".
    static func put(_ byte: UInt8) {
        if byte == 0x0A { putByte(0x0D) }
        putByte(byte)
    }

    static func write(_ text: StaticString) {
        for byte in UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) { put(byte) }
    }

    /// Lowercase hex, zero-padded to `digits`.
    static func hex(_ value: UInt64, digits: Int = 16) {
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> (4 * UInt64(index))) & 0xF
            putByte(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)
        }
    }

    static func decimal(_ value: UInt64) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            putByte(0x30 + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
