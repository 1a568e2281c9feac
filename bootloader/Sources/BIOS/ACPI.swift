/// Finds the ACPI RSDP the BIOS way (spec §2.4): the first KiB of the EBDA, then 0xE0000–0xFFFFF,
/// on 16-byte boundaries; copied into its own page.
enum ACPI {
    /// A copy of the RSDP, or nil when there is none.
    static func copyRSDP() -> HardwareTable? {
        let ebdaSegment = UInt32(LowMemory.pointer(0x40E).load(as: UInt16.self))
        let ebda = ebdaSegment << 4
        var ranges: [(UInt32, UInt32)] = []
        if ebda >= 0x80000 && ebda < 0xA0000 { ranges.append((ebda, ebda + 1024)) }
        ranges.append((0xE0000, 0x100000))
        for (start, end) in ranges {
            for address in stride(from: start, to: end, by: 16) {
                let candidate = LowMemory.pointer(address)
                guard candidate.loadUnaligned(as: UInt64.self) == 0x2052_5450_2044_5352 else { continue }   // "RSD PTR "
                let revision = candidate.load(fromByteOffset: 15, as: UInt8.self)
                var size = 20
                if revision >= 2 {
                    size = max(Int(candidate.loadUnaligned(fromByteOffset: 20, as: UInt32.self)), 36)
                }
                return HardwareTable.copy(size, from: candidate, for: "RSDP")
            }
        }
        return nil
    }
}
