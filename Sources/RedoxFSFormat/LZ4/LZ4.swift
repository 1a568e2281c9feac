// LZ4 block format (format spec §9.4 and §16.7): a block is a list of sequences, each a token
// (literal-length nibble, match-length nibble), optional length extensions, the literals, and,
// except in the last sequence, a little-endian 16-bit match offset.
//
// Pure Swift without imports; also compiled as Embedded Swift for the bootloader.

/// A codec for the LZ4 block format (no frame), as RedoxFS stores compressed records.
public protocol LZ4Codec {
    /// Decodes `input` into `output`; returns the number of bytes produced.
    ///
    /// On success the bytes of `output` past the returned count are zero, as RedoxFS reads the
    /// part of a record beyond its decoded content (§9.2). Decoding fails, without reading or
    /// writing out of bounds, when `input` is not a well-formed block or its content does not fit
    /// in `output`; the content of `output` is then unspecified. The buffers must not overlap.
    func decompress(
        _ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>
    ) throws(LZ4Error) -> Int

    /// Encodes `input` as one standard-conforming LZ4 block.
    func compress(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]

    /// The block `compress` gives, when it takes at most `limit` bytes; nil when it is longer.
    /// An encoder may give up as soon as the output passes `limit` (incompressible records then
    /// cost about half a full attempt).
    func compress(_ input: UnsafeBufferPointer<UInt8>, limit: Int) -> [UInt8]?
}

extension LZ4Codec {
    /// Decodes `input`, which must decode to at most `outputCapacity` bytes; returns exactly the
    /// bytes produced.
    public func decompress(_ input: [UInt8], outputCapacity: Int) throws(LZ4Error) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: max(0, outputCapacity))
        var failure: LZ4Error? = nil
        let produced = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                do throws(LZ4Error) {
                    return try decompress(source, into: destination)
                } catch {
                    failure = error
                    return 0
                }
            }
        }
        if let failure { throw failure }
        output.removeLast(output.count - produced)
        return output
    }

    /// Encodes `input` as one standard-conforming LZ4 block.
    public func compress(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBufferPointer { compress($0) }
    }

    /// The whole encoding, kept when it takes at most `limit` bytes.
    public func compress(_ input: UnsafeBufferPointer<UInt8>, limit: Int) -> [UInt8]? {
        let output = compress(input)
        return output.count <= limit ? output : nil
    }
}

/// The LZ4 block codec written in Swift: a strictly bounds-checked decoder and a greedy
/// hash-table encoder (similar in spirit to liblz4's fast mode).
public struct SwiftLZ4: LZ4Codec {
    /// Creates the codec (it has no state).
    public init() {}

    public func decompress(
        _ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>
    ) throws(LZ4Error) -> Int {
        guard let source = input.baseAddress, !input.isEmpty else { throw .truncatedInput }
        if let destination = output.baseAddress {
            return try LZ4BlockDecoder.decode(
                source, count: input.count, into: destination, capacity: output.count)
        }
        // An output without storage has capacity 0; decode into a dummy byte that is never written
        // (every write is checked against capacity 0 first).
        var dummy: UInt8 = 0
        return try withUnsafeMutablePointer(to: &dummy) { (pointer) throws(LZ4Error) -> Int in
            try LZ4BlockDecoder.decode(source, count: input.count, into: pointer, capacity: 0)
        }
    }

    public func compress(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let count = input.count
        let bound = LZ4BlockEncoder.maximumOutputSize(forInputSize: count)
        let scratch = [UInt8](unsafeUninitializedCapacity: bound) { destination, initialized in
            // `bound` ≥ 16, so `destination` always has storage.
            guard let out = destination.baseAddress else { return }
            guard let source = input.baseAddress, count > 0 else {
                out[0] = 0  // the empty block: one token, no literals
                initialized = 1
                return
            }
            initialized = LZ4BlockEncoder.encode(source, count: count, into: out)
        }
        // Give back the unused part of the worst-case buffer unless it is small.
        return scratch.count * 2 > bound ? scratch : Array(scratch[...])
    }
}

// MARK: - Unaligned access helpers

@inline(__always)
private func load16(_ pointer: UnsafePointer<UInt8>) -> Int {
    Int(pointer[0]) | Int(pointer[1]) << 8
}

@inline(__always)
private func load32(_ pointer: UnsafePointer<UInt8>) -> UInt32 {
    UnsafeRawPointer(pointer).loadUnaligned(as: UInt32.self)
}

@inline(__always)
private func load64(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
    UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self)
}

@inline(__always)
private func copy8(from source: UnsafePointer<UInt8>, to destination: UnsafeMutablePointer<UInt8>) {
    UnsafeMutableRawPointer(destination).storeBytes(
        of: UnsafeRawPointer(source).loadUnaligned(as: UInt64.self), as: UInt64.self)
}

@inline(__always)
private func copy4(from source: UnsafePointer<UInt8>, to destination: UnsafeMutablePointer<UInt8>) {
    UnsafeMutableRawPointer(destination).storeBytes(
        of: UnsafeRawPointer(source).loadUnaligned(as: UInt32.self), as: UInt32.self)
}

/// Copies exactly `count` bytes forward, in 8-byte pieces where possible.
///
/// Correct for disjoint ranges, and for overlapping ranges when `destination - source ≥ 8`
/// (each piece then reads only bytes that are already final).
@inline(__always)
private func copyForward(
    from source: UnsafePointer<UInt8>, to destination: UnsafeMutablePointer<UInt8>, count: Int
) {
    if count >= 8 {
        var index = 0
        while index + 8 < count {
            copy8(from: source + index, to: destination + index)
            index += 8
        }
        // The last piece ends exactly at `count`; it may rewrite a few bytes with equal values.
        copy8(from: source + (count - 8), to: destination + (count - 8))
    } else if count >= 4 {
        copy4(from: source, to: destination)
        copy4(from: source + (count - 4), to: destination + (count - 4))
    } else {
        var index = 0
        while index < count {
            destination[index] = source[index]
            index += 1
        }
    }
}

// MARK: - Decoder

/// The block decoder. Positions are offsets from the buffer starts; every read and write is
/// checked against the counts before it happens.
enum LZ4BlockDecoder {
    /// Decodes the `count` bytes at `source` into at most `capacity` bytes at `destination`, and
    /// zero-fills the rest of `destination`.
    ///
    /// Where both buffers have room, copies are done in whole 8-byte pieces and may write a few
    /// bytes past the current end of the output; those are overwritten by later sequences or by
    /// the final zero fill. Reads never go past `count`, writes never past `capacity`.
    static func decode(
        _ source: UnsafePointer<UInt8>, count: Int,
        into destination: UnsafeMutablePointer<UInt8>, capacity: Int
    ) throws(LZ4Error) -> Int {
        var input = 0
        var output = 0
        while true {
            guard input < count else { throw .truncatedInput }
            let token = Int(source[input])
            input += 1

            // Literals.
            var literalLength = token >> 4
            if literalLength != 15 && count - input >= 16 && capacity - output >= 16 {
                // Short run, room in both buffers: copy 16 bytes. At least 2 input bytes remain
                // after the run (it is at most 14 bytes), so a match must follow.
                copy8(from: source + input, to: destination + output)
                copy8(from: source + (input + 8), to: destination + (output + 8))
                input += literalLength
                output += literalLength
            } else {
                if literalLength == 15 {
                    literalLength += try readLengthExtension(source, count: count, position: &input)
                }
                guard literalLength <= count - input else { throw .truncatedInput }
                guard literalLength <= capacity - output else { throw .outputOverflow }
                if literalLength <= 32 {
                    copyForward(from: source + input, to: destination + output, count: literalLength)
                } else {
                    (destination + output).update(from: source + input, count: literalLength)
                }
                input += literalLength
                output += literalLength
                if input == count {
                    // A literal run that ends the input ends the block.
                    (destination + output).update(repeating: 0, count: capacity - output)
                    return output
                }
                guard count - input >= 2 else { throw .truncatedInput }
            }

            // Match.
            let offset = load16(source + input)
            input += 2
            guard offset != 0, offset <= output else { throw .invalidOffset }
            var matchLength = token & 15
            if matchLength == 15 {
                matchLength += try readLengthExtension(source, count: count, position: &input)
            }
            matchLength += 4
            guard matchLength <= capacity - output else { throw .outputOverflow }
            let target = destination + output
            if offset >= 8 && matchLength <= 64 && capacity - output >= matchLength + 8 {
                // Whole 8-byte pieces; each reads only bytes already final since offset ≥ 8.
                var index = 0
                repeat {
                    copy8(from: target + (index - offset), to: target + index)
                    index += 8
                } while index < matchLength
            } else {
                copyMatch(to: target, offset: offset, count: matchLength)
            }
            output += matchLength
        }
    }

    /// Reads the bytes that extend a length nibble of 15: each 255 adds 255 and continues, the
    /// first smaller byte is added and ends the extension.
    @inline(__always)
    private static func readLengthExtension(
        _ source: UnsafePointer<UInt8>, count: Int, position: inout Int
    ) throws(LZ4Error) -> Int {
        var total = 0
        while true {
            guard position < count else { throw .truncatedInput }
            let byte = Int(source[position])
            position += 1
            total += byte
            if byte != 255 { return total }
            // A length this large cannot fit any output buffer; also keeps `total` from
            // overflowing on 32-bit targets.
            guard total < Int.max / 2 else { throw .outputOverflow }
        }
    }

    /// Copies `count` bytes to `destination` from `offset` bytes before it, with the LZ4 meaning
    /// for overlapping copies (as if byte by byte), writing nothing past the match. The caller
    /// checked the bounds.
    @inline(__always)
    private static func copyMatch(to destination: UnsafeMutablePointer<UInt8>, offset: Int, count: Int) {
        let source = UnsafePointer(destination - offset)
        if offset >= 8 {
            if count > 32 && offset >= count {
                destination.update(from: source, count: count)
            } else {
                copyForward(from: source, to: destination, count: count)
            }
        } else if offset == 1 {
            destination.update(repeating: source[0], count: count)
        } else if count <= 16 {
            var index = 0
            while index < count {
                destination[index] = source[index]
                index += 1
            }
        } else {
            // The bytes from `source` up to the write position repeat with period `offset`, so
            // copying all of them at once stays correct, and the run doubles every step.
            var done = 0
            while done < count {
                let piece = min(offset + done, count - done)
                (destination + done).update(from: source, count: piece)
                done += piece
            }
        }
    }
}

// MARK: - Encoder

/// The block encoder: a greedy matcher that remembers recent positions in a hash table keyed by
/// the 5 bytes found there, and takes any candidate whose first 4 bytes match.
enum LZ4BlockEncoder {
    /// Shortest match the format can express.
    static let minimumMatch = 4
    /// The last this many bytes of a block are always literals.
    static let lastLiterals = 5
    /// No match starts within this many bytes of the end of a block.
    static let matchStartMargin = 12
    /// Largest distance a 16-bit offset can express.
    static let maximumOffset = 65535

    /// An upper bound of the encoded size of `count` input bytes.
    static func maximumOutputSize(forInputSize count: Int) -> Int {
        count + count / 255 + 16
    }

    /// Number of hash bits: enough to cover the input, between 2^10 and 2^14 entries.
    private static func hashBits(forInputSize count: Int) -> Int {
        var bits = 10
        while bits < 14 && (1 << (bits + 3)) < count { bits += 1 }
        return bits
    }

    /// Hash of the 5 bytes at `pointer` (8 must be readable): fewer false candidates than 4 bytes
    /// on low-entropy data, which finds longer matches.
    @inline(__always)
    private static func hash(at pointer: UnsafePointer<UInt8>, bits: Int) -> Int {
        let fiveBytes = UInt64(littleEndian: load64(pointer)) << 24
        return Int(truncatingIfNeeded: (fiveBytes &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
    }

    /// Number of equal bytes at `a` and `b`, not looking at `a + limit` or beyond (`b < a`).
    @inline(__always)
    private static func commonLength(
        _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, limit: Int
    ) -> Int {
        var length = 0
        while length + 8 <= limit {
            let difference = load64(a + length) ^ load64(b + length)
            if difference != 0 {
                return length + UInt64(littleEndian: difference).trailingZeroBitCount / 8
            }
            length += 8
        }
        while length < limit && a[length] == b[length] { length += 1 }
        return length
    }

    /// Writes `length − 15` as a length extension (the nibble itself is 15).
    @inline(__always)
    private static func writeLengthExtension(
        _ length: Int, to destination: UnsafeMutablePointer<UInt8>, at position: inout Int
    ) {
        var remaining = length - 15
        while remaining >= 255 {
            destination[position] = 255
            position += 1
            remaining -= 255
        }
        destination[position] = UInt8(truncatingIfNeeded: remaining)
        position += 1
    }

    /// Writes one sequence: the `literalCount` bytes at `literals`, then (if `matchLength > 0`) a
    /// match of `matchLength` bytes at distance `offset`.
    @inline(__always)
    private static func writeSequence(
        literals: UnsafePointer<UInt8>, literalCount: Int, offset: Int, matchLength: Int,
        to destination: UnsafeMutablePointer<UInt8>, at position: inout Int
    ) {
        let tokenPosition = position
        position += 1
        var token: Int
        if literalCount >= 15 {
            token = 15 << 4
            writeLengthExtension(literalCount, to: destination, at: &position)
        } else {
            token = literalCount << 4
        }
        if literalCount <= 32 {
            copyForward(from: literals, to: destination + position, count: literalCount)
        } else {
            (destination + position).update(from: literals, count: literalCount)
        }
        position += literalCount
        if matchLength > 0 {
            destination[position] = UInt8(truncatingIfNeeded: offset)
            destination[position + 1] = UInt8(truncatingIfNeeded: offset >> 8)
            position += 2
            let code = matchLength - minimumMatch
            if code >= 15 {
                token |= 15
                writeLengthExtension(code, to: destination, at: &position)
            } else {
                token |= code
            }
        }
        destination[tokenPosition] = UInt8(truncatingIfNeeded: token)
    }

    /// Encodes the `count` (> 0) bytes at `source` into `destination`, which must hold
    /// `maximumOutputSize(forInputSize: count)` bytes; returns the encoded size.
    static func encode(
        _ source: UnsafePointer<UInt8>, count: Int, into destination: UnsafeMutablePointer<UInt8>
    ) -> Int {
        var written = 0
        var anchor = 0  // first byte not yet emitted
        // Matches start strictly before `startLimit` (at least 13 bytes before the end) and end at
        // or before `endLimit` (the last 5 bytes stay literals).
        let startLimit = count - matchStartMargin
        let endLimit = count - lastLiterals
        if startLimit > 1 {
            let bits = hashBits(forInputSize: count)
            // Entries hold positions truncated to 32 bits (0, the initial value, stands for
            // position 0); the distance is recomputed modulo 2^32 and every candidate is verified
            // against the input, so stale or wrapped entries only cost a comparison.
            var table = [UInt32](repeating: 0, count: 1 << bits)
            table.withUnsafeMutableBufferPointer { buffer in
                guard let table = buffer.baseAddress else { return }
                var position = 1
                var misses = 0
                while position < startLimit {
                    let sequence = load32(source + position)
                    let slot = hash(at: source + position, bits: bits)
                    let distance = Int(UInt32(truncatingIfNeeded: position) &- table[slot])
                    table[slot] = UInt32(truncatingIfNeeded: position)
                    guard distance >= 1, distance <= maximumOffset, distance <= position,
                        load32(source + (position - distance)) == sequence
                    else {
                        // Step further the longer nothing matches (quick on incompressible data).
                        misses += 1
                        position += 1 + (misses >> 6)
                        continue
                    }
                    // Extend backwards over pending literals, then forwards.
                    var start = position
                    while start > anchor, start > distance,
                        source[start - 1] == source[start - 1 - distance]
                    {
                        start -= 1
                    }
                    let forward = commonLength(
                        source + (position + minimumMatch),
                        source + (position + minimumMatch - distance),
                        limit: endLimit - position - minimumMatch)
                    let end = position + minimumMatch + forward
                    writeSequence(
                        literals: source + anchor, literalCount: start - anchor, offset: distance,
                        matchLength: end - start, to: destination, at: &written)
                    anchor = end
                    position = end
                    misses = 0
                    // Remember a position inside the match, which helps the next search.
                    if end - 2 < startLimit {
                        table[hash(at: source + (end - 2), bits: bits)] =
                            UInt32(truncatingIfNeeded: end - 2)
                    }
                }
            }
        }
        writeSequence(
            literals: source + anchor, literalCount: count - anchor, offset: 0, matchLength: 0,
            to: destination, at: &written)
        return written
    }
}
