// The 8259 PICs (remapped to vectors 0x20/0x28, only the timer unmasked) and the PIT, channel 0
// in mode 2 with divisor 4847 (≈246 Hz), as kernel.md §1.3 gives.

enum Timer {
    static let divisor: UInt64 = 4847
    static let frequency: UInt64 = 1_193_182
    /// Nanoseconds per tick (≈4.06 ms).
    static let nanosecondsPerTick: UInt64 = divisor * 1_000_000_000 / frequency
    nonisolated(unsafe) static var ticks: UInt64 = 0

    static func initialize() {
        portOut8(0x20, 0x11); portOut8(0xA0, 0x11)
        portOut8(0x21, 0x20); portOut8(0xA1, 0x28)
        portOut8(0x21, 0x04); portOut8(0xA1, 0x02)
        portOut8(0x21, 0x01); portOut8(0xA1, 0x01)
        portOut8(0x21, 0xFE); portOut8(0xA1, 0xFF)
        portOut8(0x43, 0x34)
        portOut8(0x40, UInt8(divisor & 0xFF))
        portOut8(0x40, UInt8(divisor >> 8))
    }

    static func tick() {
        ticks += 1
        Scheduler.wakeSleepers()
    }

    static var nanoseconds: UInt64 { ticks * nanosecondsPerTick }
}
