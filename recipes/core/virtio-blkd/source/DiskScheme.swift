// The disk scheme (kernel.md §4.3): "" lists `0` and `0pM`; `0` is the whole disk, `0pM` GPT
// partition M; positioned handles with byte offsets; fstat gives the size. A disk and its
// partitions are not open together (ENOLCK).

import RedoxRuntime

final class DiskScheme: SchemeDaemon {
    let device: VirtioBlock
    var partitions: [Extent] = []
    /// Open handles: the extent served and the path fpath reports; nil = the listing.
    private var handles: [(extent: Extent, path: [UInt8])?] = []
    private let listingHandle = Int.max / 2
    static let ENOLCK = 37

    init(name: [UInt8], device: VirtioBlock) {
        self.device = device
        super.init(name: name)
        partitions = PartitionTable.gpt(sectors: device.sectors) { sector, count in
            self.readSectors(sector, count: count)
        }
    }

    /// Whole sectors, through the bounce buffer; nil on a device error.
    func readSectors(_ sector: UInt64, count: Int) -> [UInt8]? {
        var result: [UInt8] = []
        var done = 0
        while done < count {
            let chunk = min(count - done, VirtioBlock.chunkBytes / VirtioBlock.sectorSize)
            do { try device.transfer(sector: sector + UInt64(done), count: chunk, write: false) } catch { return nil }
            result += UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(device.data)), count: chunk * VirtioBlock.sectorSize)
            done += chunk
        }
        return result
    }

    private var listing: [UInt8] {
        var text = bytes("0\n")
        for index in partitions.indices { text += bytes("0p") + decimal(index) + [0x0A] }
        return text
    }

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) {
        var name = path
        while name.first == 0x2F { name.removeFirst() }
        let extent: Extent
        if name.isEmpty {
            return (listingHandle, true)
        } else if name == bytes("0") {
            extent = Extent(start: 0, count: device.sectors)
        } else if name.count > 2, name[0] == 0x30, name[1] == 0x70, name.count <= 6 {
            var index = 0
            for digit in name[2...] {
                guard digit >= 0x30 && digit <= 0x39 else { return (-Errno.ENOENT, false) }
                index = index * 10 + Int(digit - 0x30)
            }
            guard index < partitions.count else { return (-Errno.ENOENT, false) }
            extent = partitions[index]
        } else {
            return (-Errno.ENOENT, false)
        }
        let wholeDisk = name == bytes("0")
        for handle in handles {
            if let open = handle, (open.path == bytes("0")) != wholeDisk { return (-DiskScheme.ENOLCK, false) }
        }
        for index in handles.indices where handles[index] == nil {
            handles[index] = (extent, name)
            return (index, true)
        }
        handles.append((extent, name))
        return (handles.count - 1, true)
    }

    private func extent(_ handle: Int) -> Extent? {
        handle >= 0 && handle < handles.count ? handles[handle]?.extent : nil
    }

    override func close(handle: Int) {
        if handle >= 0 && handle < handles.count { handles[handle] = nil }
    }

    override func size(handle: Int) -> Int {
        if handle == listingHandle { return listing.count }
        guard let extent = extent(handle) else { return -Errno.EBADF }
        return Int(extent.count) * VirtioBlock.sectorSize
    }

    override func stat(handle: Int) -> (UInt16, UInt64)? {
        if handle == listingHandle { return (0x4000 | 0o755, UInt64(listing.count)) }
        guard let extent = extent(handle) else { return nil }
        return (0x6000 | 0o600, extent.count * UInt64(VirtioBlock.sectorSize))
    }

    override func path(handle: Int) -> [UInt8] {
        handle >= 0 && handle < handles.count ? handles[handle]?.path ?? [] : []
    }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        if handle == listingHandle {
            let text = listing
            guard offset < UInt64(text.count) else { return 0 }
            let count = min(buffer.count, text.count - Int(offset))
            for index in 0..<count { buffer[index] = text[Int(offset) + index] }
            return count
        }
        return transfer(handle: handle, buffer: buffer, offset: offset, write: false)
    }

    /// fsync: every write has completed on the device before its reply (the flush feature is not
    /// negotiated, so QEMU writes through), so there is nothing left to flush.
    override func handle(_ request: Request) -> (Int, UInt8) {
        if request.opcode == SchemeDaemon.opFsync {
            return (extent(Int(truncatingIfNeeded: request.args[0])) != nil ? 0 : -Errno.EBADF, 0)
        }
        return super.handle(request)
    }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int {
        transfer(handle: handle, buffer: UnsafeMutableRawBufferPointer(mutating: buffer), offset: offset, write: true)
    }

    /// Byte-granular reads and writes within the handle's extent; partial sectors are read first.
    private func transfer(handle: Int, buffer: UnsafeMutableRawBufferPointer, offset: UInt64, write: Bool) -> Int {
        guard let extent = extent(handle) else { return -Errno.EBADF }
        let size = extent.count * UInt64(VirtioBlock.sectorSize)
        guard offset < size else { return 0 }
        let total = Int(min(UInt64(buffer.count), size - offset))
        let sectorSize = UInt64(VirtioBlock.sectorSize)
        let bounce = UnsafeMutableRawPointer(bitPattern: UInt(device.data))!
        var done = 0
        while done < total {
            let position = offset + UInt64(done)
            let within = Int(position % sectorSize)
            let chunk = min(total - done, VirtioBlock.chunkBytes - within)
            let sectorCount = (within + chunk + VirtioBlock.sectorSize - 1) / VirtioBlock.sectorSize
            let sector = extent.start + position / sectorSize
            do {
                if write {
                    if within != 0 || chunk % VirtioBlock.sectorSize != 0 {
                        try device.transfer(sector: sector, count: sectorCount, write: false)
                    }
                    (bounce + within).copyMemory(from: buffer.baseAddress! + done, byteCount: chunk)
                    try device.transfer(sector: sector, count: sectorCount, write: true)
                } else {
                    try device.transfer(sector: sector, count: sectorCount, write: false)
                    (buffer.baseAddress! + done).copyMemory(from: bounce + within, byteCount: chunk)
                }
            } catch {
                return done > 0 ? done : -Errno.EIO
            }
            done += chunk
        }
        return done
    }
}
