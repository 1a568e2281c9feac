/// The frame buffer of video output 0: the first Graphics Output Protocol with a frame buffer,
/// in the mode the firmware set (this loader has no mode selection screen).
enum Framebuffer {
    /// A frame buffer ready for the kernel: where it is, and the virtual address it is mapped at.
    struct Output {
        var mode: GraphicsOutput.Mode
        var virtualAddress: UInt64
    }

    static func find(bootServices: BootServices) -> GraphicsOutput.Mode? {
        for handle in bootServices.handles(supporting: .graphicsOutput) {
            guard let interface = bootServices.interface(.graphicsOutput, on: handle),
                  let mode = GraphicsOutput(table: FirmwareTable(interface)).currentMode,
                  mode.frameBuffer != 0 else { continue }
            return mode
        }
        return nil
    }

    /// Makes `mode`'s frame buffer reachable at `physical + PHYS_OFFSET`: through the existing
    /// physical map below 8 GiB, with new 2 MiB pages above.
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
