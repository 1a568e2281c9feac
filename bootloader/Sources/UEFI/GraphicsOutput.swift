/// EFI_GRAPHICS_OUTPUT_PROTOCOL: the mode list (QueryMode), mode switching (SetMode) and the
/// current mode with its frame buffer.
struct GraphicsOutput {
    let table: FirmwareTable

    /// A video output's current mode.
    struct Mode {
        var frameBuffer: UInt64
        var width: Int
        var height: Int
        var stride: Int
    }

    /// The current mode, or nil when the mode information is missing.
    var currentMode: Mode? {
        guard let mode = table.table(24), let info = mode.table(8) else { return nil }
        return Mode(frameBuffer: mode.load(24, as: UInt64.self), width: Int(info.load(4, as: UInt32.self)),
                    height: Int(info.load(8, as: UInt32.self)), stride: Int(info.load(32, as: UInt32.self)))
    }

    /// The number of the current mode.
    var currentModeNumber: UInt32? {
        table.table(24)?.load(4, as: UInt32.self)
    }

    /// Every mode QueryMode describes (0 ..< MaxMode); the pixel format is not checked (spec §6).
    var modes: [VideoMode] {
        guard let mode = table.table(24), let boot = Firmware.boot else { return [] }
        var modes: [VideoMode] = []
        for number in 0..<mode.load(0, as: UInt32.self) {
            var size: UInt64 = 0
            var info: UInt64 = 0
            let status = withUnsafeMutablePointer(to: &size) { sizePointer in
                withUnsafeMutablePointer(to: &info) { table.callMember(0, UInt64(number), bits(sizePointer), bits($0)) }
            }
            guard !status.isError, let pointer = UnsafeMutableRawPointer(bitPattern: UInt(info)) else { continue }
            let description = FirmwareTable(pointer)
            modes.append(VideoMode(id: number, width: Int(description.load(4, as: UInt32.self)),
                                   height: Int(description.load(8, as: UInt32.self)),
                                   stride: Int(description.load(32, as: UInt32.self))))
            boot.freePool(pointer)
        }
        return modes
    }

    /// SetMode.
    func setMode(_ number: UInt32) -> Status {
        table.callMember(8, UInt64(number))
    }
}

/// EFI_EDID_ACTIVE_PROTOCOL: the EDID block of the connected display.
struct EDIDActive {
    let table: FirmwareTable

    /// The EDID bytes, or nil when the protocol has none.
    var edid: UnsafeRawBufferPointer? {
        let size = Int(table.load(0, as: UInt32.self))
        guard size > 0, let bytes = table.pointer(8) else { return nil }
        return UnsafeRawBufferPointer(start: bytes, count: size)
    }
}
