/// A UEFI memory map as returned by GetMemoryMap, read in place.
struct MemoryMap {
    /// One EFI_MEMORY_DESCRIPTOR.
    struct Descriptor {
        let pointer: UnsafeMutableRawPointer

        var type: UInt32 { pointer.loadUnaligned(as: UInt32.self) }
        var physicalStart: UInt64 { pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
        var pageCount: UInt64 { pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self) }

        var virtualStart: UInt64 {
            get { pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self) }
            nonmutating set { pointer.storeBytes(of: newValue, toByteOffset: 16, as: UInt64.self) }
        }
    }

    let base: UnsafeMutableRawPointer
    let size: Int
    let key: UInt64
    let descriptorSize: Int
    let descriptorVersion: UInt32

    var count: Int { descriptorSize == 0 ? 0 : size / descriptorSize }

    subscript(index: Int) -> Descriptor {
        Descriptor(pointer: base + index * descriptorSize)
    }
}
