/// The numeric value of a pointer: a physical address for the kernel's tables, or a UINTN argument
/// for the firmware.
@inline(__always)
func bits(_ pointer: UnsafeRawPointer?) -> UInt64 {
    UInt64(UInt(bitPattern: pointer))
}
