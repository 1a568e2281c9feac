import CSeaHash
import RedoxFS

/// SeaHash of several equal-length blocks at once (`CSeaHash`: AVX-512 vector code, two blocks
/// side by side, about three times the speed of `SeaHash.hash` here), for the verification of
/// node blocks (`NodePrefetcher`). It gives the hashes `SeaHash.hash` gives.
enum BatchSeaHash {
    /// Whether this processor runs the vector code.
    static let isAvailable = redoxfs_seahash_vector_available() != 0

    /// The hash of the bytes in `buffer` (`SeaHash.hash` when the vector code is not available).
    /// Whether a check uses the vector code at all is its own setting (`CheckOptions.vectorHashes`,
    /// carried by its `CheckBlockReader`), not a global: checks run side by side in one process.
    static func hash(_ buffer: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard isAvailable, let base = buffer.baseAddress else { return SeaHash.hash(buffer) }
        var blocks: UnsafePointer<UInt8>? = base
        var hash: UInt64 = 0
        redoxfs_seahash_vector(&blocks, 1, buffer.count, &hash)
        return hash
    }

    /// The hashes of the `length`-byte blocks at `blocks` into `hashes` (resized to match).
    /// Only when `isAvailable`.
    static func hash(_ blocks: [UnsafePointer<UInt8>?], length: Int, into hashes: inout [UInt64]) {
        if hashes.count != blocks.count { hashes = [UInt64](repeating: 0, count: blocks.count) }
        guard isAvailable, !blocks.isEmpty else { return }
        blocks.withUnsafeBufferPointer { pointers in
            hashes.withUnsafeMutableBufferPointer { out in
                redoxfs_seahash_vector(pointers.baseAddress, pointers.count, length, out.baseAddress)
            }
        }
    }
}
