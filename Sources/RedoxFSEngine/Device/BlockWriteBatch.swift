import RedoxFSFormat

/// Gathers writes given in ascending block order into runs of contiguous blocks, each sent to
/// the device as one gathered write (`writeBlocks(at:gathering:)`): a commit's blocks reach an
/// image file in a few `pwritev` calls instead of one `pwrite` per block.
struct BlockWriteBatch {
    /// Most buffers in one request (Linux's `IOV_MAX`).
    static let bufferLimit = 1024
    /// Most bytes held in one request (1 MiB: larger gathered writes cost more system time here).
    static let byteLimit = 1 << 20

    private var start: UInt64 = 0
    private var end: UInt64 = 0
    private var bytes = 0
    private var buffers: [[UInt8]] = []

    /// Adds `buffer` (whole blocks) at device block `index`, first sending the run held so far
    /// when `buffer` does not continue it or the run is full.
    mutating func append<Device: StorageDevice>(_ buffer: [UInt8], at index: UInt64, to device: inout Device) throws(FormatError) {
        if !buffers.isEmpty && (index != end || buffers.count >= Self.bufferLimit || bytes + buffer.count > Self.byteLimit) {
            try send(to: &device)
        }
        if buffer.count % RedoxFS.blockSize != 0 {
            // Not whole blocks (the engine pads what it stores, so never expected): written
            // alone, since what follows it in a run would land at the wrong offset.
            try send(to: &device)
            try buffer.withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: index, from: raw) }
            return
        }
        if buffers.isEmpty { start = index; end = index }
        buffers.append(buffer)
        bytes += buffer.count
        end += UInt64(buffer.count / RedoxFS.blockSize)
    }

    /// Sends the run held (if any).
    mutating func send<Device: StorageDevice>(to device: inout Device) throws(FormatError) {
        guard !buffers.isEmpty else { return }
        defer {
            buffers.removeAll(keepingCapacity: true)
            bytes = 0
        }
        if buffers.count == 1 {
            try buffers[0].withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: start, from: raw) }
        } else {
            try device.writeBlocks(at: start, gathering: buffers)
        }
    }
}
