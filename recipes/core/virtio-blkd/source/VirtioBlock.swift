// A legacy (transitional) virtio-blk device through its I/O BAR: one virtqueue, requests of a
// header, a data buffer and a status byte, completion found by polling the used ring.

import RedoxRuntime

/// Why a device could not be driven.
enum VirtioError: Error {
    case noIOBar, badQueue, noMemory, deviceError(UInt8), timeout
}

/// One virtio-blk device; its DMA memory is physically contiguous (`memory:zeroed?phys_contiguous`).
final class VirtioBlock {
    static let sectorSize = 512
    /// Bytes per request through the bounce buffer.
    static let chunkBytes = 64 * 1024

    let io: UInt16
    let queueSize: Int
    /// Capacity in 512-byte sectors.
    let sectors: UInt64
    private let queue: UInt64, queuePhysical: UInt64
    private let usedOffset: Int
    private let request: UInt64, requestPhysical: UInt64
    /// The bounce buffer requests transfer through (chunkBytes).
    let data: UInt64
    private let dataPhysical: UInt64
    private var availableIndex: UInt16 = 0
    private var usedIndex: UInt16 = 0

    init(_ pci: PciAddress) throws(VirtioError) {
        let bar0 = pci.read32(0x10)
        guard bar0 & 1 == 1, bar0 & 0xFFFC != 0 else { throw .noIOBar }
        io = UInt16(bar0 & 0xFFFC)
        // Command: I/O space and bus mastering on.
        pci.write32(0x04, pci.read32(0x04) | 0x5)
        portOut8(io + 0x12, 0)      // reset
        portOut8(io + 0x12, 1)      // ACKNOWLEDGE
        portOut8(io + 0x12, 1 | 2)  // DRIVER
        _ = portIn32(io + 0x00)
        portOut32(io + 0x04, 0)     // no optional features
        portOut16(io + 0x0E, 0)     // queue 0
        let size = Int(portIn16(io + 0x0C))
        guard size > 0, size <= 32768, size & (size - 1) == 0 else { throw .badQueue }
        queueSize = size
        usedOffset = (18 * size + 6 + 4095) & ~4095
        let queueBytes = usedOffset + ((6 + 8 * size + 4095) & ~4095)
        let memory = Sys.open(bytes("/scheme/memory/zeroed?phys_contiguous"))
        guard memory >= 0 else { throw .noMemory }
        defer { _ = Sys.close(memory) }
        func allocate(_ count: Int) throws(VirtioError) -> (UInt64, UInt64) {
            let address = Sys.mapAnonymous(size: count, fd: memory)
            guard address > 0 else { throw .noMemory }
            let physical = Sys.virtualToPhysical(UInt64(address))
            guard physical > 0 else { throw .noMemory }
            return (UInt64(address), UInt64(physical))
        }
        (queue, queuePhysical) = try allocate(queueBytes)
        (request, requestPhysical) = try allocate(4096)
        (data, dataPhysical) = try allocate(VirtioBlock.chunkBytes)
        // No interrupts: the used ring is polled.
        UnsafeMutablePointer<UInt16>(bitPattern: UInt(queue) + UInt(16 * size))!.pointee = 1
        portOut32(io + 0x08, UInt32(truncatingIfNeeded: queuePhysical >> 12))
        portOut8(io + 0x12, 1 | 2 | 4)  // DRIVER_OK
        sectors = UInt64(portIn32(io + 0x14)) | UInt64(portIn32(io + 0x18)) << 32
    }

    private func descriptor(_ index: Int, address: UInt64, length: UInt32, flags: UInt16, next: UInt16) {
        let base = UnsafeMutableRawPointer(bitPattern: UInt(queue) + UInt(16 * index))!
        base.storeBytes(of: address, as: UInt64.self)
        base.storeBytes(of: length, toByteOffset: 8, as: UInt32.self)
        base.storeBytes(of: flags, toByteOffset: 12, as: UInt16.self)
        base.storeBytes(of: next, toByteOffset: 14, as: UInt16.self)
    }

    /// Moves `count` sectors (≤ chunkBytes) at `sector` between the device and `data`.
    func transfer(sector: UInt64, count: Int, write: Bool) throws(VirtioError) {
        let header = UnsafeMutableRawPointer(bitPattern: UInt(request))!
        header.storeBytes(of: UInt32(write ? 1 : 0), as: UInt32.self)
        header.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
        header.storeBytes(of: sector, toByteOffset: 8, as: UInt64.self)
        header.storeBytes(of: UInt8(0xFF), toByteOffset: 16, as: UInt8.self)
        descriptor(0, address: requestPhysical, length: 16, flags: 1, next: 1)
        descriptor(1, address: dataPhysical, length: UInt32(count * VirtioBlock.sectorSize), flags: write ? 1 : 1 | 2, next: 2)
        descriptor(2, address: requestPhysical + 16, length: 1, flags: 2, next: 0)
        let available = UnsafeMutableRawPointer(bitPattern: UInt(queue) + UInt(16 * queueSize))!
        available.storeBytes(of: UInt16(0), toByteOffset: 4 + 2 * Int(availableIndex % UInt16(queueSize)), as: UInt16.self)
        availableIndex &+= 1
        available.storeBytes(of: availableIndex, toByteOffset: 2, as: UInt16.self)
        portOut16(io + 0x10, 0)  // notify queue 0 (the port write orders the stores before it)
        let usedIndexAddress = queue + UInt64(usedOffset) + 2
        var polls = 0
        while deviceLoad16(usedIndexAddress) == usedIndex {
            polls += 1
            if polls > 2_000_000 { throw .timeout }
            if polls % 64 == 0 { _ = Sys.yield() }
        }
        usedIndex &+= 1
        let status = header.load(fromByteOffset: 16, as: UInt8.self)
        guard status == 0 else { throw .deviceError(status) }
    }
}
