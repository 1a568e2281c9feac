import RedoxFS

/// Making a new file system on a disk file, as mkfs, ar and clone do, and the lines they print.
public enum DiskFormatter {
    /// Formats all of `device` (a writable `FileDevice` on a whole file or block device, from
    /// `DiskFile.prepare(_:size:)`), with the bootloader file `bootloaderPath` (if any) in front;
    /// encrypted when `password` is given. The device's write lock is made to cover the whole
    /// file: refused (EBUSY) while a file system anywhere in it, at any offset, has a writer. The
    /// file system takes the device over; it is closed when this throws.
    public static func format(
        _ device: FileDevice, bootloaderPath: String?, password: [UInt8]?
    ) throws(FileSystemError) -> FileSystem {
        do {
            var bootloader: [UInt8] = []
            if let bootloaderPath { bootloader = try DiskFile.read(bootloaderPath) }
            try FileDevice.lockWholeFileForWriting(descriptor: device.descriptor, path: device.path, operation: "replace")
            return try FileSystem.format(device: device, options: FormatOptions(bootloader: bootloader, password: password))
        } catch {
            device.close()
            throw error
        }
    }

    /// Upstream's summary line: `TOOL: created filesystem on DISK, reserved R blocks, size M MB, uuid U`.
    public static func summary(tool: String, disk: String, fileSystem fs: FileSystem) -> String {
        "\(tool): created filesystem on \(disk), reserved \(fs.startBlock) blocks, size \(fs.header.size / 1_000_000) MB, uuid \(fs.uuidString)"
    }

    /// The newest header of the image at `path` (from `byteOffset`, for `byteLength` bytes: a
    /// partition) and where its file system starts, read without a password (headers are never
    /// encrypted).
    public static func locateHeader(
        _ path: String, byteOffset: UInt64 = 0, byteLength: UInt64? = nil, startBlock: UInt64? = nil
    ) throws(FileSystemError) -> HeaderRing.Location {
        var device = try FileDevice.open(path: path, readOnly: true, byteOffset: byteOffset, byteLength: byteLength)
        defer { device.close() }
        do {
            return try HeaderRing.locate(on: &device, startBlock: startBlock, deviceBlocks: device.blockCount)
        } catch {
            throw .format(error)
        }
    }
}

/// The name a tool was invoked under (so `mkfs.redoxfs` speaks as itself).
public enum ToolName {
    /// The last component of `argv[0]`, or `fallback`.
    public static func invoked(fallback: String) -> String {
        guard let first = CommandLine.arguments.first, let name = first.split(separator: "/").last, !name.isEmpty else {
            return fallback
        }
        return String(name)
    }
}
