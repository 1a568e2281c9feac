// The wall clock for new file times: the PC's CMOS real-time clock read once at start (ports
// 0x70/0x71, after IOPL), then advanced by CLOCK_MONOTONIC (this kernel's CLOCK_REALTIME counts
// from boot). Without port access the times count from the epoch.

import RedoxRuntime

enum RealTimeClock {
    /// Seconds since the epoch at monotonic time `bootNanoseconds`.
    nonisolated(unsafe) static var epochAtStart: UInt64 = 0
    nonisolated(unsafe) static var monotonicAtStart: UInt64 = 0

    /// Reads the CMOS clock once; false when port I/O is not granted.
    @discardableResult
    static func start() -> Bool {
        monotonicAtStart = Sys.monotonicNanoseconds()
        guard Sys.iopl() == 0 else { return false }
        func register(_ index: UInt8) -> UInt8 {
            portOut8(0x70, index)
            return portIn8(0x71)
        }
        var spins = 0
        while register(0x0A) & 0x80 != 0 && spins < 100_000 { spins += 1 }
        let status = register(0x0B)
        func value(_ raw: UInt8) -> UInt64 {
            status & 0x04 != 0 ? UInt64(raw) : UInt64(raw >> 4) * 10 + UInt64(raw & 0x0F)
        }
        let second = value(register(0x00)), minute = value(register(0x02))
        var hourRaw = register(0x04)
        let afternoon = status & 0x02 == 0 && hourRaw & 0x80 != 0
        hourRaw &= 0x7F
        var hour = value(hourRaw)
        if afternoon { hour = (hour % 12) + 12 }
        let day = value(register(0x07)), month = value(register(0x08)), year = 2000 + value(register(0x09))
        guard month >= 1, month <= 12, day >= 1, day <= 31, hour < 24, minute < 60, second < 61 else { return false }
        epochAtStart = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return true
    }

    /// Days from 1970-01-01 to the given date (proleptic Gregorian).
    static func daysFromCivil(year: UInt64, month: UInt64, day: UInt64) -> UInt64 {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Now: (seconds since the epoch, nanoseconds).
    static func now() -> (UInt64, UInt32) {
        let elapsed = Sys.monotonicNanoseconds() &- monotonicAtStart
        return (epochAtStart + elapsed / 1_000_000_000, UInt32(elapsed % 1_000_000_000))
    }
}
