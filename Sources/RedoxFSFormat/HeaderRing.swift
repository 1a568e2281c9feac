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
    /// at `deviceBlocks`), then picks the newest valid header of its ring.
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
