/// Finds a flattened device tree among the firmware's configuration tables and copies it into
/// page-aligned memory (spec §3: aarch64 and riscv64 prefer it to ACPI).
enum DeviceTree {
    /// The magic number at the start of a flattened device tree (big-endian 0xd00dfeed).
    private static let magic: UInt32 = 0xD00D_FEED
    /// A sanity bound on the size read from the header.
    private static let maximumSize = 16 << 20

    /// The copy (its size rounded up to 8 bytes, as upstream does), or nil when the firmware
    /// offers no valid device tree.
    static func copy(from system: SystemTable) -> HardwareTable? {
        guard let tree = system.configurationTable(.deviceTree) else { return nil }
        guard bigEndian(tree, 0) == magic else { return nil }
        let size = Int(bigEndian(tree, 4))
        guard size >= 40, size <= maximumSize else { return nil }
        return HardwareTable.copy(size, from: tree, size: (size + 7) & ~7, for: "device tree")
    }

    private static func bigEndian(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
