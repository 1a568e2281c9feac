import RedoxFSFormat

@_extern(c, "loader_live_default") func loaderLiveDefault() -> Int32

/// Live mode (spec §7): the whole RedoxFS volume is copied into memory, registered as a Reserved
/// area, and from then on every read of the loader is served from that copy; the kernel is told
/// through `DISK_LIVE_ADDR`/`DISK_LIVE_SIZE` and `REDOXFS_BLOCK=0`. On by default in the `-live`
/// build (`bootloader-live.efi`), toggled with `l` on the mode screen.
enum LiveMode {
    /// The volume's copy in memory.
    struct Image {
        var memory: UnsafeMutableRawBufferPointer
        /// The volume's size in bytes (`header.size`).
        var size: UInt64

        var address: UInt64 { bits(memory.baseAddress) }
    }

    /// Whether this build starts in live mode.
    static var enabledByDefault: Bool { loaderLiveDefault() != 0 }

    private static let chunkBlocks = (1 << 20) / RedoxFS.blockSize

    /// Copies the volume, from its first block (the header ring's slot 0), into a new allocation
    /// with a progress line `live: i/n MiB`, and switches `volume` to reading from it. Stops with
    /// a clear message when the memory cannot hold the volume or the disk cannot be read.
    static func copy(_ volume: inout BootVolume, areas: MemoryAreas) -> Image {
        let size = volume.header.size
        let blocks = size / UInt64(RedoxFS.blockSize)
        guard blocks > 0, size % UInt64(RedoxFS.blockSize) == 0, size < PhysicalMemory.limit else {
            Console.fatal("live: the RedoxFS volume's size (\(size) bytes) cannot be copied into memory")
        }
        guard let memory = PhysicalMemory.allocateIfAvailable(Int(size)) else {
            Console.fatal("live: not enough memory for live mode: the RedoxFS volume needs \(size >> 20) MiB (\(size) bytes) in one piece below 8 GiB, and the firmware has no such free range; boot without live mode (the ordinary loader) or give the machine more memory")
        }
        let startBlock = volume.startBlock
        let chunks = (blocks + UInt64(chunkBlocks) - 1) / UInt64(chunkBlocks)
        var block: UInt64 = 0
        var chunk: UInt64 = 0
        while block < blocks {
            let count = min(UInt64(chunkBlocks), blocks - block)
            chunk += 1
            Console.write(Message("\rlive: \(chunk)/\(chunks) MiB").bytes)
            let start = Int(block) * RedoxFS.blockSize
            let part = UnsafeMutableRawBufferPointer(rebasing: memory[start..<start + Int(count) * RedoxFS.blockSize])
            do throws(FormatError) {
                try volume.files.reader.device.readBlocks(at: startBlock + block, into: part)
            } catch {
                Console.print("")
                Console.fatal("live: failed to copy the RedoxFS volume into memory: \(Message(error))")
            }
            block += count
        }
        Console.print("")
        areas.add(base: bits(memory.baseAddress), size: UInt64(memory.count), kind: .reserved)
        let image = Image(memory: memory, size: size)
        volume.files.reader.device.serveFromMemory(UnsafeRawBufferPointer(rebasing: memory[0..<Int(size)]), firstBlock: startBlock)
        Console.print("live: RedoxFS volume in memory at \(address: image.address), \(size >> 20) MiB")
        return image
    }
}
