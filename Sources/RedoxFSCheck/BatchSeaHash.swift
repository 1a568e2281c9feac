import CSeaHash
import RedoxFS

/// SeaHash of several equal-length blocks at once (`CSeaHash`: AVX-512 vector code, two blocks
/// side by side, about three times the speed of `SeaHash.hash` here), for the verification of
/// node blocks (`NodePrefetcher`). It gives the hashes `SeaHash.hash` gives. A single buffer is
/// hashed by the engine's wrapper, `HostedProviders.seaHash`.
enum BatchSeaHash {
    /// Whether this processor runs the vector code (the engine's flag).
    static var isAvailable: Bool { HostedProviders.hasVectorSeaHash }

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
