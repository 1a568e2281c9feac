/// EFI_BLOCK_IO_PROTOCOL and its media description.
struct BlockIO {
    let table: FirmwareTable

    private var media: FirmwareTable { table.table(8)! }

    var mediaID: UInt32 { media.load(0, as: UInt32.self) }
    var isMediaPresent: Bool { media.load(5, as: UInt8.self) != 0 }
    /// Whether the handle is a partition rather than a whole device.
    var isLogicalPartition: Bool { media.load(6, as: UInt8.self) != 0 }
    var blockSize: Int { Int(media.load(12, as: UInt32.self)) }
    /// Required buffer alignment in bytes (0 or 1: none).
    var ioAlign: Int { Int(media.load(16, as: UInt32.self)) }
    var lastBlock: UInt64 { media.load(24, as: UInt64.self) }

    /// Reads `buffer.count` bytes (a multiple of the block size) starting at `lba`.
    func read(lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Status {
        table.callMember(24, UInt64(mediaID), lba, UInt64(buffer.count), bits(buffer.baseAddress))
    }
}
