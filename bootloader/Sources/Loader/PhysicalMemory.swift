/// Page allocations for everything handed to the kernel: zero-filled, below 8 GiB (the loader's
/// identity map covers only the first 8 GiB) and of type EfiRuntimeServicesData, which keeps the
/// memory out of the kernel's free list.
enum PhysicalMemory {
    static let pageSize = 4096
    /// Highest address (exclusive) an allocation may reach.
    static let limit: UInt64 = 0x2_0000_0000

    /// `byteCount` bytes rounded up to whole pages, zeroed; a fatal error when memory is short.
    static func allocate(_ byteCount: Int, for purpose: StaticString) -> UnsafeMutableRawBufferPointer {
        let size = (max(byteCount, 1) + pageSize - 1) / pageSize * pageSize
        guard let boot = Firmware.boot else { Console.fatal("Failed to allocate memory for \(purpose): boot services are gone") }
        let address: UInt64
        do throws(Status) {
            address = try boot.allocatePages(size / pageSize, type: .runtimeServicesData, below: limit)
        } catch {
            Console.fatal("Failed to allocate memory for \(purpose): \(error.name) (\(size) bytes)")
        }
        let buffer = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(address)), count: size)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        return buffer
    }

    /// Like `allocate`, but nil when the firmware has no free range that large (the caller
    /// explains), and not zeroed: for a caller that fills every page itself (the live copy).
    static func allocateIfAvailable(_ byteCount: Int) -> UnsafeMutableRawBufferPointer? {
        let size = (max(byteCount, 1) + pageSize - 1) / pageSize * pageSize
        guard let boot = Firmware.boot else { return nil }
        do throws(Status) {
            let address = try boot.allocatePages(size / pageSize, type: .runtimeServicesData, below: limit)
            return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(address)), count: size)
        } catch {
            return nil
        }
    }
}
