import RedoxFS
import RedoxFSFormat

extension ImageOptions {
    /// Opens the file system in `region` (from `region()`), asking for a password when it is
    /// encrypted; `generation` opens an older generation of the header ring (read-only).
    public func open(
        _ region: DeviceRegion, readOnly: Bool = true, tool: String, generation: UInt64? = nil
    ) throws(FileSystemError) -> FileSystem {
        try openKeepingPassword(region, readOnly: readOnly, prompt: "\(tool): password: ", generation: generation).0
    }

    /// Opens the file system in `region` like `open(_:readOnly:tool:generation:)`, asking for the
    /// password with `prompt`, and also returns the password it used (nil for an unencrypted
    /// image). With `device` (the region already opened, e.g. by
    /// `DiskFile.grow(_:to:byteOffset:)`, which keeps its write lock) the file system is opened
    /// on it. The device is closed when this throws.
    public func openKeepingPassword(
        _ region: DeviceRegion, readOnly: Bool, prompt: String, generation: UInt64? = nil, device: FileDevice? = nil
    ) throws(FileSystemError) -> (FileSystem, [UInt8]?) {
        let device = if let device { device } else { try region.open(readOnly: readOnly) }
        do throws(FileSystemError) {
            let start = try startBlock()
            do {
                let fs = try FileSystem(device: device, startBlock: start, writable: !readOnly, generation: generation)
                return (fs, nil)
            } catch .format(.passwordRequired) {
                let password = try PasswordInput.read(file: passwordFile, prompt: prompt)
                let fs = try FileSystem(
                    device: device, startBlock: start, password: password, writable: !readOnly, generation: generation)
                return (fs, password)
            }
        } catch {
            let explained = error.explained(region: region, device: device, startBlock: try? startBlock())
            device.close()
            throw explained
        }
    }
}
