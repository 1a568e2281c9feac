import RedoxFSFormat

/// `BlockWriteBatch` for an encrypted file system: each block given (plaintext, in ascending
/// block order) is encrypted straight into a buffer of the batch (`XTSCipher.encrypt(_:into:)`,
/// no copy of the block first), and contiguous blocks go out as one gathered write. The buffers
/// are kept from run to run and reused for blocks of the same size, so a commit of many records
/// allocates a run's worth of them once instead of one copy per block.
struct EncryptingWriteBatch<Cipher: XTSCipher> {
    private let cipher: Cipher
    private var start: UInt64 = 0
    private var end: UInt64 = 0
    private var bytes = 0
    /// The buffers of the run held: the first `used` of `buffers`; the rest wait to be reused.
    private var buffers: [[UInt8]] = []
    private var used = 0

    init(cipher: Cipher) {
        self.cipher = cipher
    }

    /// Encrypts `block` (whole blocks, plaintext of file-system block `unit`) into the run and
    /// adds it at device block `index`, first sending the run held so far when `block` does not
    /// continue it or the run is full.
    mutating func append<Device: StorageDevice>(
        _ block: [UInt8], unit: UInt64, at index: UInt64, to device: inout Device
    ) throws(FormatError) {
        if used > 0 && (index != end || used >= BlockWriteBatch.bufferLimit || bytes + block.count > BlockWriteBatch.byteLimit) {
            try send(to: &device)
        }
        if block.count % RedoxFS.blockSize != 0 {
            // Not whole blocks (never expected, see `BlockWriteBatch`): written alone.
            try send(to: &device)
            var alone = block
            alone.withUnsafeMutableBufferPointer { cipher.encrypt($0, firstUnit: unit, unitSize: RedoxFS.blockSize) }
            try alone.withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: index, from: raw) }
            return
        }
        if used == 0 { start = index; end = index }
        if used == buffers.count {
            buffers.append([])
        }
        // Taken out while it is written, so that it is held once and changed in place.
        var buffer: [UInt8] = []
        swap(&buffer, &buffers[used])
        Self.encrypt(block, into: &buffer, firstUnit: unit, cipher: cipher)
        swap(&buffer, &buffers[used])
        used += 1
        bytes += block.count
        end += UInt64(block.count / RedoxFS.blockSize)
    }

    /// `block` encrypted into `buffer`, which is made `block`'s size first if it is not.
    private static func encrypt(_ block: [UInt8], into buffer: inout [UInt8], firstUnit: UInt64, cipher: Cipher) {
        if buffer.count != block.count {
            // Left uninitialised: the cipher writes every byte.
            buffer = [UInt8](unsafeUninitializedCapacity: block.count) { _, initialized in initialized = block.count }
        }
        buffer.withUnsafeMutableBufferPointer { destination in
            block.withUnsafeBytes { source in
                cipher.encrypt(source, into: destination, firstUnit: firstUnit, unitSize: RedoxFS.blockSize)
            }
        }
    }

    /// Sends the run held (if any).
    mutating func send<Device: StorageDevice>(to device: inout Device) throws(FormatError) {
        guard used > 0 else { return }
        defer {
            used = 0
            bytes = 0
        }
        if used == 1 {
            try buffers[0].withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: start, from: raw) }
        } else if used == buffers.count {
            try device.writeBlocks(at: start, gathering: buffers)
        } else {
            // A copy of the first `used` references (not of the bytes), released before the
            // buffers are written again, so that they stay uniquely held and are reused in place.
            try device.writeBlocks(at: start, gathering: Array(buffers[0..<used]))
        }
    }
}
