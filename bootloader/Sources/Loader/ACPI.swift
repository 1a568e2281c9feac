/// Finds the ACPI RSDP among the firmware's configuration tables and copies it into its own page.
enum ACPI {
    /// A copy of the ACPI 2.0 RSDP if valid, else of the ACPI 1.0 one, else nil.
    static func copyRSDP(from system: SystemTable) -> HardwareTable? {
        for guid in [GUID.acpi20Table, GUID.acpi10Table] {
            guard let rsdp = system.configurationTable(guid), let size = validSize(of: rsdp) else { continue }
            return HardwareTable.copy(size, from: rsdp, for: "RSDP")
        }
        return nil
    }

    /// The length of the RSDP at `rsdp` if its signature and checksums are right: the `length`
    /// field for revision 2 and later (checksummed over 36 bytes as well), else 20.
    /// (Upstream copies 36 bytes of a revision-0 RSDP, reading past its end; only 20 exist.)
    private static func validSize(of rsdp: UnsafeRawPointer) -> Int? {
        let bytes = UnsafeRawBufferPointer(start: rsdp, count: 36)
        guard bytes[0..<8].elementsEqual(Array("RSD PTR ".utf8)), checksum(bytes[0..<20]) == 0 else { return nil }
        guard bytes[15] >= 2 else { return 20 }
        guard checksum(bytes[0..<36]) == 0 else { return nil }
        let length = Int(rsdp.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
        return length >= 36 ? length : 36
    }

    private static func checksum(_ bytes: Slice<UnsafeRawBufferPointer>) -> UInt8 {
        bytes.reduce(0, &+)
    }
}
