/// EFI_RUNTIME_SERVICES: the calls the loader makes, some of them after ExitBootServices.
struct RuntimeServices {
    let table: FirmwareTable

    /// Reads the variable `name` (ASCII) of `vendor` into a new array, or nil if absent.
    func variable(_ name: StaticString, vendor: GUID) -> [UInt8]? {
        var wideName: [UInt16] = []
        for byte in UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount) {
            wideName.append(UInt16(byte))
        }
        wideName.append(0)
        var data = [UInt8](repeating: 0, count: 4096)
        var size = UInt64(data.count)
        let status = wideName.withUnsafeBufferPointer { namePointer in
            vendor.withAddress { guid in
                withUnsafeMutablePointer(to: &size) { sizePointer in
                    data.withUnsafeMutableBytes {
                        table.call(72, bits(namePointer.baseAddress), guid, 0, bits(sizePointer), bits($0.baseAddress))
                    }
                }
            }
        }
        guard !status.isError else { return nil }
        return Array(data[0..<Int(size)])
    }

    /// SetVirtualAddressMap with the descriptors of `map` (already given their virtual addresses).
    func setVirtualAddressMap(_ map: MemoryMap) -> Status {
        table.call(56, UInt64(map.size), UInt64(map.descriptorSize), UInt64(map.descriptorVersion), bits(map.base))
    }

    /// ResetSystem: `shutdown` powers off, otherwise a cold reset.
    func reset(shutdown: Bool) -> Never {
        table.call(104, shutdown ? 2 : 0, 0, 0, 0)
        while true {}
    }
}
