// Output of the probe kernel: COM1 written directly, without allocating. Text and numbers are the
// kernel's SerialText (recipes/core/kernel/source/Sources/SerialText.swift, built in by build.sh).

@_extern(c, "kernel_in8") func kernel_in8(_ port: UInt16) -> UInt8
@_extern(c, "kernel_out8") func kernel_out8(_ port: UInt16, _ value: UInt8)

/// COM1, already configured by the firmware; the kernel only writes.
enum Serial: SerialText {
    static func putByte(_ byte: UInt8) {
        var spins = 0
        while kernel_in8(0x3FD) & 0x20 == 0 && spins < 1_000_000 { spins += 1 }
        kernel_out8(0x3F8, byte)
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
}
