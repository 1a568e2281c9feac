/// Text on the serial port, whichever UART the platform drives.
extension SerialPort {
    /// Writes `bytes`, turning "\n" into "\r\n".
    static func write(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if byte == 0x0A { write(0x0D) }
            write(byte)
        }
    }
}
