import RedoxFSFormat

/// The ciphertext of one stage of an encrypted commit's blocks (`writeCommitToDevice`): the
/// blocks of the stage, in order, each encrypted out of place (`XTSCipher.encrypt(_:into:)`) into
/// a buffer of its own. The buffers are kept from stage to stage and reused for blocks of the
/// same size, so a large commit allocates two stages' worth of them, not one copy per block.
///
/// A commit has two stages in flight (`EngineProviders.pipeline`): one being encrypted while the
/// other is written, each touched by one thread at a time.
final class EncryptedStage {
    /// The ciphertext of the stage's blocks, in order (more may wait to be reused).
    private(set) var buffers: [[UInt8]] = []

    /// Encrypts `blocks` (file-system block index and plaintext, in order) into `buffers`.
    func encrypt<Cipher: XTSCipher>(_ blocks: ArraySlice<(key: UInt64, value: [UInt8])>, with cipher: Cipher) {
        var position = 0
        for (index, block) in blocks {
            if position == buffers.count { buffers.append([]) }
            // Taken out while it is written, so that it is held once and changed in place.
            var buffer: [UInt8] = []
            swap(&buffer, &buffers[position])
            Self.encrypt(block, into: &buffer, firstUnit: index, cipher: cipher)
            swap(&buffer, &buffers[position])
            position += 1
        }
    }

    /// `block` encrypted into `buffer`, which is made `block`'s size first if it is not.
    private static func encrypt<Cipher: XTSCipher>(_ block: [UInt8], into buffer: inout [UInt8], firstUnit: UInt64, cipher: Cipher) {
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
}
