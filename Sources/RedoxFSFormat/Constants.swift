/// Fixed numbers of RedoxFS on-disk format version 8 (redoxfs 0.9.1).
public enum RedoxFS {
    /// Size of a level-0 block, of every metadata structure and of the XTS data unit.
    public static let blockSize = 4096
    /// The header magic: "RedoxFS" followed by a NUL byte.
    public static let signature: [UInt8] = [0x52, 0x65, 0x64, 0x6F, 0x78, 0x46, 0x53, 0x00]
    /// The only format version accepted.
    public static let version: UInt64 = 8
    /// Number of header slots at the start of the file system.
    public static let headerRing: UInt64 = 256
    /// Record level of regular files (records of 128 KiB).
    public static let recordLevel: UInt32 = 5
    /// The allocation log is squashed when the generation is a multiple of this.
    public static let allocGCThreshold: UInt64 = 1024
    /// Longest directory entry name, in bytes.
    public static let maxNameLength = 252
    /// Number of key slots in a header.
    public static let keySlotCount = 64
    /// Size of the node area usable for inline data.
    public static let inlineDataSize = 3968
    /// Largest stored compressed record, its 2-byte length prefix included.
    public static let maxCompressedRecord = 65536
    /// Smallest number of blocks mkfs accepts after the reserved area.
    public static let minimumBlocks: UInt64 = 260
    /// Anchor blocks scanned for a header when no start block is given.
    public static let headerScanLimit: UInt64 = 65536
    /// The node id of the root directory.
    public static let rootNodeID: UInt32 = 1
}
