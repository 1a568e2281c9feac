/// EFI_BOOT_SERVICES: the calls the loader makes before it exits boot services.
struct BootServices {
    let table: FirmwareTable

    /// EFI_MEMORY_TYPE values used by the loader.
    enum MemoryType: UInt32 {
        case loaderData = 2
        case runtimeServicesData = 6
    }

    /// AllocatePages with AllocateMaxAddress: `count` pages at or below `maxAddress`.
    func allocatePages(_ count: Int, type: MemoryType, below maxAddress: UInt64) throws(Status) -> UInt64 {
        var address = maxAddress - 1
        try withUnsafeMutablePointer(to: &address) { (pointer) throws(Status) in
            try table.call(40, 1, UInt64(type.rawValue), UInt64(count), bits(pointer)).check()
        }
        return address
    }

    func allocatePool(_ size: Int) -> UnsafeMutableRawPointer? {
        var buffer: UInt64 = 0
        let status = withUnsafeMutablePointer(to: &buffer) {
            table.call(64, UInt64(MemoryType.loaderData.rawValue), UInt64(size), bits($0))
        }
        return status.isError ? nil : UnsafeMutableRawPointer(bitPattern: UInt(buffer))
    }

    func freePool(_ pointer: UnsafeMutableRawPointer) {
        table.call(72, bits(pointer))
    }

    /// GetMemoryMap into `buffer`; returns the used size, map key, descriptor size and version.
    func memoryMap(into buffer: UnsafeMutableRawBufferPointer) throws(Status) -> MemoryMap {
        var size = UInt64(buffer.count)
        var key: UInt64 = 0
        var descriptorSize: UInt64 = 0
        var version: UInt32 = 0
        let status = withUnsafeMutablePointer(to: &size) { sizePointer in
            withUnsafeMutablePointer(to: &key) { keyPointer in
                withUnsafeMutablePointer(to: &descriptorSize) { descriptorPointer in
                    withUnsafeMutablePointer(to: &version) { versionPointer in
                        table.call(56, bits(sizePointer), bits(buffer.baseAddress), bits(keyPointer),
                                   bits(descriptorPointer), bits(versionPointer))
                    }
                }
            }
        }
        try status.check()
        return MemoryMap(base: buffer.baseAddress!, size: Int(size), key: key,
                         descriptorSize: Int(descriptorSize), descriptorVersion: version)
    }

    /// All handles that support `protocolGUID` (LocateHandleBuffer, ByProtocol).
    func handles(supporting protocolGUID: GUID) -> [UInt64] {
        var count: UInt64 = 0
        var buffer: UInt64 = 0
        let status = protocolGUID.withAddress { guid in
            withUnsafeMutablePointer(to: &count) { countPointer in
                withUnsafeMutablePointer(to: &buffer) { bufferPointer in
                    table.call(312, 2, guid, 0, bits(countPointer), bits(bufferPointer))
                }
            }
        }
        guard !status.isError, let list = UnsafeMutableRawPointer(bitPattern: UInt(buffer)) else { return [] }
        var handles: [UInt64] = []
        for index in 0..<Int(count) { handles.append(list.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)) }
        freePool(list)
        return handles
    }

    /// The interface of `protocolGUID` on `handle` (HandleProtocol), or nil.
    func interface(_ protocolGUID: GUID, on handle: UInt64) -> UnsafeMutableRawPointer? {
        var interface: UInt64 = 0
        let status = protocolGUID.withAddress { guid in
            withUnsafeMutablePointer(to: &interface) { table.call(152, handle, guid, bits($0)) }
        }
        return status.isError ? nil : UnsafeMutableRawPointer(bitPattern: UInt(interface))
    }

    /// The first interface of `protocolGUID` in the system (LocateProtocol), or nil.
    func locate(_ protocolGUID: GUID) -> UnsafeMutableRawPointer? {
        var interface: UInt64 = 0
        let status = protocolGUID.withAddress { guid in
            withUnsafeMutablePointer(to: &interface) { table.call(320, guid, 0, bits($0)) }
        }
        return status.isError ? nil : UnsafeMutableRawPointer(bitPattern: UInt(interface))
    }

    func exitBootServices(mapKey: UInt64) -> Status {
        table.call(232, Firmware.imageHandle, mapKey)
    }

    func stall(microseconds: UInt64) {
        table.call(248, microseconds)
    }

    func disableWatchdog() {
        table.call(256, 0, 0, 0, 0)
    }
}
