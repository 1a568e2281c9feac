// Output of the probe kernel: COM1 written directly, without allocating.

@_extern(c, "kernel_in8") func kernel_in8(_ port: UInt16) -> UInt8
@_extern(c, "kernel_out8") func kernel_out8(_ port: UInt16, _ value: UInt8)

/// COM1, already configured by the firmware; the kernel only writes.
enum Serial {
    static func write(_ byte: UInt8) {
        var spins = 0
        while kernel_in8(0x3FD) & 0x20 == 0 && spins < 1_000_000 { spins += 1 }
        kernel_out8(0x3F8, byte)
    }

    static func write(_ text: StaticString) {
        for byte in UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) { put(byte) }
    }

    /// Writes `count` bytes at `address`, printable ASCII as is and anything else as `\xNN`.
    static func write(bytesAt address: UInt64, count: Int) {
        let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: count)
        for byte in bytes {
            if byte == 0x0A || (byte >= 0x20 && byte < 0x7F) {
                put(byte)
            } else {
                write("\\x")
                hex(UInt64(byte), digits: 2)
            }
        }
    }

    /// Lowercase hex, zero-padded to `digits`.
    static func hex(_ value: UInt64, digits: Int = 16) {
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> (4 * UInt64(index))) & 0xF
            write(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)
        }
    }

    static func decimal(_ value: UInt64) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            write(0x30 + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// Writes a byte, "\n" as "\r\n".
    private static func put(_ byte: UInt8) {
        if byte == 0x0A { write(0x0D) }
        write(byte)
    }
}
