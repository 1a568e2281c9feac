/// Finding the newest valid header (spec §2.1).
public enum HeaderRing {
    /// The newest header and where the file system starts on the device.
    public struct Location: Equatable, Sendable {
        public var header: Header
        /// Device block of ring slot 0.
        public var startBlock: UInt64
        /// The ring slot the header was read from.
        public var slot: UInt64
    }

    /// Scans for a valid anchor header (only `startBlock` when given, else blocks 0…65535, stopping
    /// at `deviceBlocks`), then picks the newest valid header of its ring. With `startBlock`, a
    /// ring whose slot 0 is invalid is still found through its other slots (upstream's bootloader
    /// fails there).
    public static func locate<Device: BlockDevice>(
        on device: inout Device, startBlock: UInt64?, deviceBlocks: UInt64
    ) throws(FormatError) -> Location {
        let candidates: Range<UInt64>
        if let startBlock {
            candidates = startBlock..<(startBlock + 1)
        } else {
            candidates = 0..<min(RedoxFS.headerScanLimit, deviceBlocks)
        }
        for candidate in candidates {
            guard candidate < deviceBlocks else { break }
            let anchor = Header(block: try device.readBlocks(at: candidate, count: 1))
            guard anchor.isValid else { continue }
            let slot = anchor.generation % RedoxFS.headerRing
            guard candidate >= slot else { continue }
            let base = candidate - slot
            return try newest(on: &device, base: base, deviceBlocks: deviceBlocks, anchor: anchor, anchorSlot: slot)
        }
        if let startBlock {
            // Slot 0 of a freshly made encrypted file system is invalid upstream (spec §2.1) until
            // generation 256 overwrites it: accept a ring at `startBlock` anchored by a later slot.
            let count = Int(min(RedoxFS.headerRing, deviceBlocks > startBlock ? deviceBlocks - startBlock : 0))
            for slot in 1..<max(count, 1) {
                let anchor = Header(block: try device.readBlocks(at: startBlock + UInt64(slot), count: 1))
                guard anchor.isValid, anchor.generation % RedoxFS.headerRing == UInt64(slot) else { continue }
                return try newest(on: &device, base: startBlock, deviceBlocks: deviceBlocks, anchor: anchor, anchorSlot: UInt64(slot))
            }
        }
        throw .noValidHeader
    }

    static func newest<Device: BlockDevice>(
        on device: inout Device, base: UInt64, deviceBlocks: UInt64, anchor: Header, anchorSlot: UInt64
    ) throws(FormatError) -> Location {
        var best = Location(header: anchor, startBlock: base, slot: anchorSlot)
        let count = Int(min(RedoxFS.headerRing, deviceBlocks - base))
        let ring = try device.readBlocks(at: base, count: count)
        for slot in 0..<count {
            let header = Header(block: Array(ring[slot * RedoxFS.blockSize..<(slot + 1) * RedoxFS.blockSize]))
            guard header.isValid, header.generation > best.header.generation else { continue }
            best = Location(header: header, startBlock: base, slot: UInt64(slot))
        }
        return best
    }
}
