/// The frame buffer of video output 0: the first Graphics Output Protocol with a frame buffer.
/// Its mode is chosen on the mode-selection screen (spec §6) and set just before the hand-off.
enum Framebuffer {
    /// A frame buffer ready for the kernel: where it is, and the virtual address it is mapped at.
    struct Output {
        var mode: GraphicsOutput.Mode
        var virtualAddress: UInt64
    }

    /// Video output 0 and its mode list (spec §3 step 3: outputs without a frame buffer are skipped).
    static func findOutput(bootServices: BootServices) -> (output: GraphicsOutput, handle: UInt64)? {
        for handle in bootServices.handles(supporting: .graphicsOutput) {
            guard let interface = bootServices.interface(.graphicsOutput, on: handle) else { continue }
            let output = GraphicsOutput(table: FirmwareTable(interface))
            guard let mode = output.currentMode, mode.frameBuffer != 0 else { continue }
            return (output, handle)
        }
        return nil
    }

    /// Shows the mode screen for `output`: the EDID's preferred resolution (EDID Active
    /// protocol on the output's handle), else the firmware's current mode, is selected first.
    static func chooseMode(for output: GraphicsOutput, handle: UInt64, bootServices: BootServices) -> VideoMode? {
        var preferred: (width: Int, height: Int)?
        if let interface = bootServices.interface(.edidActive, on: handle),
           let edid = EDIDActive(table: FirmwareTable(interface)).edid {
            preferred = ModeSelection.preferredResolution(edid: edid)
        }
        if preferred == nil, let current = output.currentMode { preferred = (current.width, current.height) }
        return ModeSelection.choose(from: output.modes, preferred: preferred)
    }

    /// Sets `mode` on `output` (unless it is current) and returns the resulting mode with its
    /// frame buffer, or nil when the firmware refuses.
    static func set(_ mode: VideoMode, on output: GraphicsOutput) -> GraphicsOutput.Mode? {
        if output.currentModeNumber != mode.id {
            guard !output.setMode(mode.id).isError else { return nil }
        }
        guard let current = output.currentMode, current.frameBuffer != 0 else { return nil }
        return current
    }

    /// Makes `mode`'s frame buffer reachable at `physical + PHYS_OFFSET`: through the existing
    /// physical map below 8 GiB, with new pages above.
    static func map(_ mode: GraphicsOutput.Mode, in tables: PageTables) -> Output {
        let virtual = mode.frameBuffer + PageTables.physicalOffset
        let size = UInt64(mode.stride * mode.height * 4)
        if mode.frameBuffer + size > PageTables.identityMappedBytes {
            let start = mode.frameBuffer & ~((2 << 20) - 1)
            tables.mapLarge(virtual: start + PageTables.physicalOffset, physical: start,
                            size: mode.frameBuffer + size - start)
        }
        return Output(mode: mode, virtualAddress: virtual)
    }
}
