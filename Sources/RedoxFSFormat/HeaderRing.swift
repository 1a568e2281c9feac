/// Finding the newest valid header (spec §2.1).
public enum HeaderRing {
    /// The newest header and where the file system starts on the device.
    public struct Location: Equatable, Sendable {
        public var header: Header
        /// Device block of ring slot 0.
        public var startBlock: UInt64
        /// The ring slot the header was read from.
        public var slot: UInt64

        public init(header: Header, startBlock: UInt64, slot: UInt64) {
            self.header = header
            self.startBlock = startBlock
            self.slot = slot
        }
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

extension HeaderRing {
    /// The valid headers of the ring that `newest` was found in which belong to the same file
    /// system (same uuid) and sit in their own slot (generation mod 256), newest first: the
    /// generations a reader may go back to.
    public static func generations<Device: BlockDevice>(
        on device: inout Device, ring newest: Location, deviceBlocks: UInt64
    ) throws(FormatError) -> [Location] {
        let base = newest.startBlock
        let count = Int(min(RedoxFS.headerRing, deviceBlocks > base ? deviceBlocks - base : 0))
        let ring = try device.readBlocks(at: base, count: count)
        var found: [Location] = []
        for slot in 0..<count {
            let header = Header(block: Array(ring[slot * RedoxFS.blockSize..<(slot + 1) * RedoxFS.blockSize]))
            guard header.isValid, header.uuid == newest.header.uuid,
                  header.generation % RedoxFS.headerRing == UInt64(slot) else { continue }
            found.append(Location(header: header, startBlock: base, slot: UInt64(slot)))
        }
        found.sort { $0.header.generation > $1.header.generation }
        return found
    }

    /// The generation ring slot `slot` holds when the ring is whole and `newest` is the newest
    /// generation (every slot written in turn), or nil when the ring has not wrapped yet and the
    /// slot may never have been written.
    public static func expectedGeneration(inSlot slot: UInt64, newest: UInt64) -> UInt64? {
        guard newest >= headerRingSize - 1 else { return nil }
        return newest - (newest &- slot) % headerRingSize
    }

    private static var headerRingSize: UInt64 { RedoxFS.headerRing }
}
