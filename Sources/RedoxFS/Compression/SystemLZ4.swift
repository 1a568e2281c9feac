import CLZ4
import RedoxFSFormat

/// The LZ4 block codec of the system's liblz4: the hosted fast path.
///
/// It accepts the blocks `SwiftLZ4` accepts, with the same result, and reports the same errors:
/// when liblz4 rejects a block (it does not say why), the block is decoded again by `SwiftLZ4`,
/// which either names the error or decodes it (liblz4 also rejects some blocks that break the
/// end-of-block rules, which §9.4 does not require of a decoder). One difference remains:
/// liblz4 1.9 does not reject a match at offset 0, which §16.7 forbids and `SwiftLZ4` rejects
/// with `.invalidOffset`; liblz4 decodes such a block to unspecified bytes. Stored blocks are
/// covered by their pointer's hash, so this only matters for deliberately crafted images.
/// Inputs beyond liblz4's 32-bit limits go to `SwiftLZ4` directly.
public struct SystemLZ4: LZ4Codec {
    /// Creates the codec (it has no state).
    public init() {}

    public func decompress(
        _ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>
    ) throws(LZ4Error) -> Int {
        guard let source = input.baseAddress, let destination = output.baseAddress,
            input.count <= Int(Int32.max)
        else {
            return try SwiftLZ4().decompress(input, into: output)
        }
        let result = LZ4_decompress_safe(
            UnsafeRawPointer(source).assumingMemoryBound(to: CChar.self),
            UnsafeMutableRawPointer(destination).assumingMemoryBound(to: CChar.self),
            Int32(input.count),
            Int32(clamping: output.count))
        if result >= 0 {
            // liblz4 may have written a few bytes past its result; the contract wants zeros there.
            let produced = Int(result)
            (destination + produced).update(repeating: 0, count: output.count - produced)
            return produced
        }
        return try SwiftLZ4().decompress(input, into: output)
    }

    public func compress(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard let source = input.baseAddress, input.count <= Int(LZ4_MAX_INPUT_SIZE) else {
            return SwiftLZ4().compress(input)
        }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        let output = Self.compress(source, count: input.count, capacity: bound)
        // liblz4 cannot fail with a bound-sized output; fall back rather than trap if it did.
        guard !output.isEmpty else { return SwiftLZ4().compress(input) }
        return output
    }

    /// liblz4's limited-output mode: the same bytes as `compress` when they fit, and it stops as
    /// soon as they cannot. Its end-of-block checks are conservative (they assume the longest
    /// encoding of the remaining literals), so the capacity given to it has room for that
    /// margin, and the exact length is compared with `limit` afterwards.
    public func compress(_ input: UnsafeBufferPointer<UInt8>, limit: Int) -> [UInt8]? {
        guard let source = input.baseAddress, input.count <= Int(LZ4_MAX_INPUT_SIZE), limit >= 0 else {
            let output = SwiftLZ4().compress(input)
            return output.count <= limit ? output : nil
        }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        let capacity = min(bound, limit + input.count / 255 + 64)
        if capacity >= bound {
            let output = compress(input)
            return output.count <= limit ? output : nil
        }
        let output = Self.compress(source, count: input.count, capacity: capacity)
        guard !output.isEmpty, output.count <= limit else { return nil }
        return output
    }

    /// liblz4's compression of `count` bytes at `source` into at most `capacity` bytes; empty
    /// when they do not fit. No zero fill: liblz4 writes the bytes it reports, and only those
    /// are kept.
    private static func compress(_ source: UnsafePointer<UInt8>, count: Int, capacity: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: capacity) { destination, initialized in
            initialized = 0
            guard let base = destination.baseAddress else { return }
            let written = LZ4_compress_default(
                UnsafeRawPointer(source).assumingMemoryBound(to: CChar.self),
                UnsafeMutableRawPointer(base).assumingMemoryBound(to: CChar.self),
                Int32(count),
                Int32(capacity))
            initialized = max(0, Int(written))
        }
    }
}
