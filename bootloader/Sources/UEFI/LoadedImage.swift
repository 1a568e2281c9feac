/// EFI_LOADED_IMAGE_PROTOCOL: where the running application came from.
struct LoadedImage {
    let table: FirmwareTable

    /// The handle of the device (the ESP) the image was loaded from.
    var deviceHandle: UInt64 { table.load(24, as: UInt64.self) }
}
