/// The 96-byte `KernelArgs` the loader passes, read field by field.
struct KernelArgs {
    static let fieldCount = 12

    /// The field names of the specification, in order.
    static func name(_ index: Int) -> StaticString {
        switch index {
        case 0: "kernel_base"
        case 1: "kernel_size"
        case 2: "stack_base"
        case 3: "stack_size"
        case 4: "env_base"
        case 5: "env_size"
        case 6: "hwdesc_base"
        case 7: "hwdesc_size"
        case 8: "areas_base"
        case 9: "areas_size"
        case 10: "bootstrap_base"
        default: "bootstrap_size"
        }
    }

    let address: UInt64

    func field(_ index: Int) -> UInt64 {
        UnsafeRawPointer(bitPattern: UInt(address))!.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)
    }

    var kernelBase: UInt64 { field(0) }
    var kernelSize: UInt64 { field(1) }
    var stackBase: UInt64 { field(2) }
    var stackSize: UInt64 { field(3) }
    var envBase: UInt64 { field(4) }
    var envSize: UInt64 { field(5) }
    var hardwareDescriptionBase: UInt64 { field(6) }
    var hardwareDescriptionSize: UInt64 { field(7) }
    var areasBase: UInt64 { field(8) }
    var areasSize: UInt64 { field(9) }
    var bootstrapBase: UInt64 { field(10) }
    var bootstrapSize: UInt64 { field(11) }
}
