/// EFI_GRAPHICS_OUTPUT_PROTOCOL: only the current mode is read (no mode switching).
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
}
