// The C thunks in bootloader/shim that bridge Swift's calling convention to the firmware's.

@_extern(c, "uefi_call")
func uefi_call(_ service: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64, _ a6: UInt64) -> UInt64

/// A firmware table or protocol interface: a structure whose fields are read at byte offsets fixed
/// by the UEFI specification, and whose function pointers are called through `uefi_call`.
struct FirmwareTable {
    /// Address of the structure.
    let base: UnsafeMutableRawPointer

    init(_ base: UnsafeMutableRawPointer) {
        self.base = base
    }

    init?(_ base: UnsafeMutableRawPointer?) {
        guard let base else { return nil }
        self.base = base
    }

    func load<T>(_ offset: Int, as type: T.Type) -> T {
        base.loadUnaligned(fromByteOffset: offset, as: type)
    }

    func pointer(_ offset: Int) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(load(offset, as: UInt64.self)))
    }

    func table(_ offset: Int) -> FirmwareTable? {
        FirmwareTable(pointer(offset))
    }

    /// Calls the service whose pointer is stored at `offset`; protocol services take the interface
    /// itself as their first argument, which the caller passes explicitly.
    @discardableResult
    func call(_ offset: Int, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0,
              _ a4: UInt64 = 0, _ a5: UInt64 = 0, _ a6: UInt64 = 0) -> Status {
        Status(rawValue: uefi_call(load(offset, as: UInt64.self), a1, a2, a3, a4, a5, a6))
    }

    /// Calls a protocol service: the interface pointer is passed as the first argument.
    @discardableResult
    func callMember(_ offset: Int, _ a2: UInt64 = 0, _ a3: UInt64 = 0, _ a4: UInt64 = 0,
                    _ a5: UInt64 = 0, _ a6: UInt64 = 0) -> Status {
        call(offset, bits(base), a2, a3, a4, a5, a6)
    }
}
