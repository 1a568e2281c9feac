/// The heap of the Embedded Swift runtime, on UEFI pool memory. Each block is over-allocated so
/// that it can be aligned, and the pool pointer is kept just below the aligned address.
enum Allocator {
    static let outOfMemory: Int32 = 12

    static func allocate(size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        guard let boot = Firmware.boot else {
            Console.fatalStatic("memory allocation after ExitBootServices")
        }
        let alignment = max(alignment, 16)
        guard let raw = boot.allocatePool(size + alignment + 8) else { return nil }
        let address = (UInt(bitPattern: raw) + 8 + UInt(alignment) - 1) & ~(UInt(alignment) - 1)
        let aligned = UnsafeMutableRawPointer(bitPattern: address)!
        (aligned - 8).storeBytes(of: raw, as: UnsafeMutableRawPointer.self)
        return aligned
    }

    static func release(_ pointer: UnsafeMutableRawPointer) {
        // After ExitBootServices memory is simply not returned: the kernel owns it all anyway.
        guard let boot = Firmware.boot else { return }
        boot.freePool((pointer - 8).load(as: UnsafeMutableRawPointer.self))
    }
}

@_cdecl("posix_memalign")
func posix_memalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
    guard let pointer = Allocator.allocate(size: size, alignment: alignment) else { return Allocator.outOfMemory }
    result.pointee = pointer
    return 0
}

@_cdecl("free")
func free(_ pointer: UnsafeMutableRawPointer?) {
    if let pointer { Allocator.release(pointer) }
}
