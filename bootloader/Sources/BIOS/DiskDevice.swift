import RedoxFSFormat

/// The BIOS boot drive seen as a RedoxFS `BlockDevice` (4096-byte blocks from the start of the
/// disk), read through INT 13h: the extended read (AH=42h) when the BIOS offers it, else CHS
/// (AH=02h) with the geometry of AH=08h. Transfers go through the bounce buffer at 0x70000 in
/// requests of at most 15 blocks (120 sectors). Writes are not offered.
struct DiskDevice: BlockDevice {
    let drive: UInt8
    /// 4096-byte blocks on the drive (from AH=48h or the CHS geometry; generous when unknown).
    let blockCount: UInt64
    private let extensions: Bool
    private let sectorsPerTrack: UInt32
    private let heads: UInt32

    private static let sectorSize = 512
    private static let sectorsPerBlock = UInt64(RedoxFS.blockSize / sectorSize)
    private static let blocksPerRequest = 15

    /// Whether this is a partition (never: BIOS reads whole drives).
    var isPartition: Bool { false }

    init(drive: UInt8) {
        self.drive = drive
        var registers = BIOS.Registers(eax: 0x4100, ebx: 0x55AA, edx: UInt32(drive))
        BIOS.interrupt(0x13, &registers)
        extensions = !registers.carry && registers.ebx & 0xFFFF == 0xAA55

        registers = BIOS.Registers(eax: 0x0800, edx: UInt32(drive))
        BIOS.interrupt(0x13, &registers)
        let geometry = registers.ecx
        if registers.carry {
            sectorsPerTrack = 0
            heads = 0
        } else {
            sectorsPerTrack = registers.ecx & 0x3F
            heads = (registers.edx >> 8 & 0xFF) + 1
        }
        var sectors: UInt64 = 0
        if extensions {
            // Drive parameters: a 30-byte buffer whose first word is its size; sectors at 0x10.
            let buffer = LowMemory.pointer(LowMemory.diskAddressPacket)
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 32)
            buffer.storeBytes(of: 30, as: UInt16.self)
            registers = BIOS.Registers(eax: 0x4800, edx: UInt32(drive), esi: LowMemory.diskAddressPacket)
            BIOS.interrupt(0x13, &registers)
            if !registers.carry { sectors = buffer.loadUnaligned(fromByteOffset: 0x10, as: UInt64.self) }
        }
        if sectors == 0 || sectors == UInt64.max, sectorsPerTrack > 0 {
            let cylinders = UInt64((geometry >> 8 & 0xFF) | (geometry & 0xC0) << 2) + 1
            sectors = cylinders * UInt64(heads) * UInt64(sectorsPerTrack)
        }
        if sectors == 0 || sectors == UInt64.max { sectors = 1 << 32 }
        blockCount = sectors / Self.sectorsPerBlock
    }

    mutating func readBlocks(at index: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        let count = UInt64(buffer.count / RedoxFS.blockSize)
        guard index <= blockCount, count <= blockCount - index else { throw .io(block: index, code: 0) }
        var done = 0
        while done < buffer.count {
            let blocks = min(Self.blocksPerRequest, (buffer.count - done) / RedoxFS.blockSize)
            let block = index + UInt64(done / RedoxFS.blockSize)
            try read(lba: block * Self.sectorsPerBlock, sectors: blocks * Int(Self.sectorsPerBlock), block: block)
            let bytes = blocks * RedoxFS.blockSize
            UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + bytes])
                .copyMemory(from: UnsafeRawBufferPointer(start: LowMemory.pointer(LowMemory.diskBuffer), count: bytes))
            done += bytes
        }
    }

    /// Reads `sectors` sectors at `lba` into the bounce buffer.
    private func read(lba: UInt64, sectors: Int, block: UInt64) throws(FormatError) {
        if extensions {
            let packet = LowMemory.pointer(LowMemory.diskAddressPacket)
            packet.storeBytes(of: 16, toByteOffset: 0, as: UInt16.self)
            packet.storeBytes(of: UInt16(sectors), toByteOffset: 2, as: UInt16.self)
            packet.storeBytes(of: 0, toByteOffset: 4, as: UInt16.self)
            packet.storeBytes(of: UInt16(LowMemory.diskBuffer >> 4), toByteOffset: 6, as: UInt16.self)
            packet.storeBytes(of: lba, toByteOffset: 8, as: UInt64.self)
            var registers = BIOS.Registers(eax: 0x4200, edx: UInt32(drive), esi: LowMemory.diskAddressPacket)
            BIOS.interrupt(0x13, &registers)
            if registers.carry { throw .io(block: block, code: Int32(registers.ah)) }
            return
        }
        // CHS, a track at a time.
        guard sectorsPerTrack > 0 else { throw .io(block: block, code: -1) }
        var sector = lba
        var remaining = sectors
        var offset: UInt32 = 0
        while remaining > 0 {
            let track = sector / UInt64(sectorsPerTrack)
            let first = UInt32(sector % UInt64(sectorsPerTrack))
            let head = UInt32(track % UInt64(heads))
            let cylinder = track / UInt64(heads)
            guard cylinder <= 1023 else { throw .io(block: block, code: -2) }
            let count = min(remaining, Int(sectorsPerTrack - first))
            let address = LowMemory.diskBuffer + offset
            var registers = BIOS.Registers(
                eax: 0x0200 | UInt32(count), ebx: address & 0xF,
                ecx: UInt32(cylinder & 0xFF) << 8 | UInt32(cylinder >> 8) << 6 | (first + 1),
                edx: head << 8 | UInt32(drive), es: address >> 4)
            BIOS.interrupt(0x13, &registers)
            if registers.carry { throw .io(block: block, code: Int32(registers.ah)) }
            sector += UInt64(count)
            remaining -= count
            offset += UInt32(count * Self.sectorSize)
        }
    }
}
