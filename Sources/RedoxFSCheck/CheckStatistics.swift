/// Counts gathered by a check, for the summary line and the JSON report.
public struct CheckStatistics: Codable, Sendable, Equatable {
    /// Nodes in the node tree (readable or not).
    public var nodes: UInt64 = 0
    public var directories: UInt64 = 0
    public var files: UInt64 = 0
    public var symlinks: UInt64 = 0
    public var sockets: UInt64 = 0
    /// FIFOs (named pipes).
    public var fifos: UInt64 = 0
    /// Character and block device nodes.
    public var devices: UInt64 = 0
    /// Directory entries read.
    public var entries: UInt64 = 0
    /// Nodes whose content is inline.
    public var inlineNodes: UInt64 = 0
    /// Data records reachable (including stale ones beyond end of file).
    public var records: UInt64 = 0
    /// Records stored compressed.
    public var compressedRecords: UInt64 = 0
    /// Blocks in the file system.
    public var blocks: UInt64 = 0
    /// Blocks free according to the allocation log.
    public var freeBlocks: UInt64 = 0
    /// Blocks reachable from the header (the header ring not included).
    public var reachableBlocks: UInt64 = 0
    /// Allocated blocks reachable from nothing (block 256 not included).
    public var leakedBlocks: UInt64 = 0
    /// Blocks the check asked the device for (read-ahead not counted): every reachable block but
    /// data records, and with `--scrub` those and every block of the file system once more.
    public var blocksRead: UInt64 = 0
    /// Blocks of reachable data records (read only by `--scrub`).
    public var recordBlocks: UInt64 = 0
    /// Bytes of data records read, decrypted, verified and decoded (only `--scrub` reads them).
    public var recordBytesVerified: UInt64 = 0
    /// Seconds the scrub's reading took: the node-tree pass (which then reads every record) and
    /// the media pass; with `blocksRead`, the scrub's throughput.
    public var scrubSeconds: Double = 0

    public init() {}
}

/// One slot of the header ring as pass 1 saw it.
public struct HeaderSlotReport: Codable, Sendable, Equatable {
    /// What a slot holds.
    public enum State: String, Codable, Sendable {
        /// All zero: never written.
        case empty
        /// A valid header.
        case valid
        /// Not a valid header and not all zero.
        case damaged
        /// Past the end of the device.
        case missing
    }

    public var slot: UInt64
    public var state: State
    /// The stored generation (also for damaged slots that still carry the signature).
    public var generation: UInt64?
    /// The header in use.
    public var chosen: Bool
    /// Why the slot is what it is, in words.
    public var note: String
}
