/// The Argon2id password hash, version 0x13 (RFC 9106), which turns a password and a key slot's
/// salt into the key that wraps the data keys (§5.2).
///
/// Lanes are filled one after another (no threads); any parallelism degree gives the same tag
/// as a multi-threaded implementation.
public enum Argon2id {
    /// Argon2 type code of Argon2id.
    private static let typeCode: UInt32 = 2
    /// Argon2 version 1.3.
    private static let version: UInt32 = 0x13
    /// 64-bit words in one 1 KiB block.
    private static let blockWords = 128

    /// The `tagLength`-byte Argon2id tag of `password` and `salt`.
    ///
    /// The defaults are the RedoxFS parameters: 4096 KiB of memory, 3 passes, one lane and a
    /// 16-byte tag, without secret or associated data.
    public static func deriveKey(
        password: [UInt8], salt: [UInt8], memoryKiB: Int = 4096, iterations: Int = 3,
        parallelism: Int = 1, tagLength: Int = 16, secret: [UInt8] = [], associatedData: [UInt8] = []
    ) -> [UInt8] {
        precondition(parallelism >= 1 && parallelism <= 0xFF_FFFF, "Argon2 needs 1...2^24-1 lanes")
        precondition(iterations >= 1 && UInt64(iterations) <= UInt64(UInt32.max), "Argon2 needs at least one pass")
        precondition(tagLength >= 4 && UInt64(tagLength) <= UInt64(UInt32.max), "Argon2 tags are at least 4 bytes")
        precondition(memoryKiB >= 8 * parallelism && UInt64(memoryKiB) <= UInt64(UInt32.max),
                     "Argon2 needs at least 8 KiB per lane")

        // H0 = H^64(p, T, m, t, v, y, |P|, P, |S|, S, |K|, K, |X|, X).
        var prehash = Blake2b(outputLength: 64)
        for value in [parallelism, tagLength, memoryKiB, iterations] {
            prehash.update(littleEndian: UInt32(truncatingIfNeeded: value))
        }
        prehash.update(littleEndian: version)
        prehash.update(littleEndian: typeCode)
        for field in [password, salt, secret, associatedData] {
            prehash.update(littleEndian: UInt32(truncatingIfNeeded: field.count))
            prehash.update(field)
        }
        let h0 = prehash.finalize()

        let laneLength = 4 * (memoryKiB / (4 * parallelism))
        let blockCount = laneLength * parallelism
        var memory = [UInt64](repeating: 0, count: blockCount * blockWords)

        // The first two blocks of each lane: H'^1024(H0 || LE32(column) || LE32(lane)).
        for lane in 0..<parallelism {
            for column in 0..<2 {
                var input = h0
                appendLittleEndian(UInt32(truncatingIfNeeded: column), to: &input)
                appendLittleEndian(UInt32(truncatingIfNeeded: lane), to: &input)
                let block = variableLengthHash(input, outputLength: 1024)
                let base = (lane * laneLength + column) * blockWords
                for i in 0..<blockWords {
                    var word: UInt64 = 0
                    for b in 0..<8 { word |= UInt64(block[8 * i + b]) &<< (8 * UInt64(b)) }
                    memory[base + i] = word
                }
            }
        }

        let geometry = Geometry(
            laneLength: laneLength, segmentLength: laneLength / 4, lanes: parallelism,
            blockCount: blockCount, iterations: iterations)
        var scratch = [UInt64](repeating: 0, count: 5 * blockWords)
        memory.withUnsafeMutableBufferPointer { memoryBuffer in
            scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                let blocks = memoryBuffer.baseAddress.unsafelyUnwrapped
                let work = scratchBuffer.baseAddress.unsafelyUnwrapped
                for pass in 0..<iterations {
                    for slice in 0..<4 {
                        for lane in 0..<parallelism {
                            fillSegment(blocks, geometry, pass: pass, slice: slice, lane: lane, scratch: work)
                        }
                    }
                }
            }
        }

        // C = XOR of the last block of every lane; tag = H'^T(C).
        var final = [UInt8](repeating: 0, count: 1024)
        for i in 0..<blockWords {
            var word: UInt64 = 0
            for lane in 0..<parallelism {
                word ^= memory[(lane * laneLength + laneLength - 1) * blockWords + i]
            }
            for b in 0..<8 { final[8 * i + b] = UInt8(truncatingIfNeeded: word &>> (8 * UInt64(b))) }
        }
        return variableLengthHash(final, outputLength: tagLength)
    }

    /// The shape of the memory matrix.
    private struct Geometry {
        let laneLength: Int
        let segmentLength: Int
        let lanes: Int
        let blockCount: Int
        let iterations: Int
    }

    private static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in [0, 8, 16, 24] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: value &>> shift)) }
    }

    /// H'^T (RFC 9106 §3.3): BLAKE2b stretched to `outputLength` bytes.
    static func variableLengthHash(_ input: [UInt8], outputLength: Int) -> [UInt8] {
        var first = Blake2b(outputLength: min(outputLength, 64))
        first.update(littleEndian: UInt32(truncatingIfNeeded: outputLength))
        first.update(input)
        var value = first.finalize()
        guard outputLength > 64 else { return value }
        var output: [UInt8] = []
        output.reserveCapacity(outputLength)
        output.append(contentsOf: value[0..<32])
        var remaining = outputLength - 32
        while remaining > 64 {
            value = Blake2b.hash(value)
            output.append(contentsOf: value[0..<32])
            remaining -= 32
        }
        output.append(contentsOf: Blake2b.hash(value, outputLength: remaining))
        return output
    }

    /// Computes the blocks of one segment (one slice of one lane) in a pass.
    ///
    /// `scratch` holds five blocks: two for the compression function, then the address block,
    /// the address-generator input block and a zero block.
    private static func fillSegment(
        _ blocks: UnsafeMutablePointer<UInt64>, _ geometry: Geometry,
        pass: Int, slice: Int, lane: Int, scratch: UnsafeMutablePointer<UInt64>
    ) {
        let segmentLength = geometry.segmentLength, laneLength = geometry.laneLength
        let addresses = scratch + 2 * blockWords
        let generatorInput = scratch + 3 * blockWords
        let zero = scratch + 4 * blockWords
        // Argon2id: data-independent addressing in the first half of the first pass.
        let independent = pass == 0 && slice < 2
        let startIndex = pass == 0 && slice == 0 ? 2 : 0

        @inline(__always) func nextAddresses() {
            generatorInput[6] &+= 1
            compress(zero, generatorInput, into: addresses, accumulate: false, scratch: scratch)
            compress(zero, addresses, into: addresses, accumulate: false, scratch: scratch)
        }

        if independent {
            for i in 0..<(3 * blockWords) { addresses[i] = 0 }
            generatorInput[0] = UInt64(pass)
            generatorInput[1] = UInt64(lane)
            generatorInput[2] = UInt64(slice)
            generatorInput[3] = UInt64(geometry.blockCount)
            generatorInput[4] = UInt64(geometry.iterations)
            generatorInput[5] = UInt64(typeCode)
            if startIndex != 0 { nextAddresses() }
        }

        // Reference blocks are counted from the start of the segment after the current one
        // (wrapping) in later passes, from column 0 in the first pass.
        let windowStart = pass == 0 || slice == 3 ? 0 : (slice + 1) * segmentLength
        let finishedBlocks = pass == 0 ? slice * segmentLength : laneLength - segmentLength

        for index in startIndex..<segmentLength {
            let column = slice * segmentLength + index
            let current = lane * laneLength + column
            let previous = column == 0 ? current + laneLength - 1 : current - 1

            let random: UInt64
            if independent {
                if index % blockWords == 0 { nextAddresses() }
                random = addresses[index % blockWords]
            } else {
                random = blocks[previous * blockWords]
            }

            let referenceLane = pass == 0 && slice == 0 ? lane : Int((random &>> 32) % UInt64(geometry.lanes))
            var areaSize = finishedBlocks
            if referenceLane == lane {
                areaSize += index - 1
            } else if index == 0 {
                areaSize -= 1
            }
            let j1 = random & 0xFFFF_FFFF
            let x = (j1 &* j1) &>> 32
            let y = (UInt64(areaSize) &* x) &>> 32
            let relative = areaSize - 1 - Int(y)
            let referenceColumn = (windowStart + relative) % laneLength
            let reference = referenceLane * laneLength + referenceColumn

            compress(
                blocks + previous * blockWords, blocks + reference * blockWords,
                into: blocks + current * blockWords, accumulate: pass > 0, scratch: scratch)
        }
    }

    /// The compression function G (RFC 9106 §3.5): `out = P(X ^ Y) ^ X ^ Y`, or `out ^=` that
    /// when `accumulate` (passes after the first, version 0x13). `y` may alias `out`.
    private static func compress(
        _ x: UnsafePointer<UInt64>, _ y: UnsafePointer<UInt64>, into out: UnsafeMutablePointer<UInt64>,
        accumulate: Bool, scratch: UnsafeMutablePointer<UInt64>
    ) {
        let r = scratch
        let q = scratch + blockWords
        for i in 0..<blockWords {
            let value = x[i] ^ y[i]
            r[i] = value
            q[i] = value
        }
        for row in 0..<8 { permuteRow(q + 16 * row) }
        for column in 0..<8 { permuteColumn(q + 2 * column) }
        if accumulate {
            for i in 0..<blockWords { out[i] ^= q[i] ^ r[i] }
        } else {
            for i in 0..<blockWords { out[i] = q[i] ^ r[i] }
        }
    }

    /// P applied to the 16 consecutive words of one row of 8 registers.
    @inline(__always)
    private static func permuteRow(_ p: UnsafeMutablePointer<UInt64>) {
        var v0 = p[0], v1 = p[1], v2 = p[2], v3 = p[3], v4 = p[4], v5 = p[5], v6 = p[6], v7 = p[7]
        var v8 = p[8], v9 = p[9], v10 = p[10], v11 = p[11], v12 = p[12], v13 = p[13], v14 = p[14], v15 = p[15]
        permute(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15)
        p[0] = v0; p[1] = v1; p[2] = v2; p[3] = v3; p[4] = v4; p[5] = v5; p[6] = v6; p[7] = v7
        p[8] = v8; p[9] = v9; p[10] = v10; p[11] = v11; p[12] = v12; p[13] = v13; p[14] = v14; p[15] = v15
    }

    /// P applied to one column of 8 registers: register j of the column is words 16j and 16j + 1.
    @inline(__always)
    private static func permuteColumn(_ p: UnsafeMutablePointer<UInt64>) {
        var v0 = p[0], v1 = p[1], v2 = p[16], v3 = p[17], v4 = p[32], v5 = p[33], v6 = p[48], v7 = p[49]
        var v8 = p[64], v9 = p[65], v10 = p[80], v11 = p[81], v12 = p[96], v13 = p[97], v14 = p[112], v15 = p[113]
        permute(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15)
        p[0] = v0; p[1] = v1; p[16] = v2; p[17] = v3; p[32] = v4; p[33] = v5; p[48] = v6; p[49] = v7
        p[64] = v8; p[65] = v9; p[80] = v10; p[81] = v11; p[96] = v12; p[97] = v13; p[112] = v14; p[113] = v15
    }

    /// The permutation P: one BLAKE2b round with the multiplication-hardened mixing GB.
    @inline(__always)
    private static func permute(
        _ v0: inout UInt64, _ v1: inout UInt64, _ v2: inout UInt64, _ v3: inout UInt64,
        _ v4: inout UInt64, _ v5: inout UInt64, _ v6: inout UInt64, _ v7: inout UInt64,
        _ v8: inout UInt64, _ v9: inout UInt64, _ v10: inout UInt64, _ v11: inout UInt64,
        _ v12: inout UInt64, _ v13: inout UInt64, _ v14: inout UInt64, _ v15: inout UInt64
    ) {
        mix(&v0, &v4, &v8, &v12)
        mix(&v1, &v5, &v9, &v13)
        mix(&v2, &v6, &v10, &v14)
        mix(&v3, &v7, &v11, &v15)
        mix(&v0, &v5, &v10, &v15)
        mix(&v1, &v6, &v11, &v12)
        mix(&v2, &v7, &v8, &v13)
        mix(&v3, &v4, &v9, &v14)
    }

    /// GB: BLAKE2b's G with `a + b` replaced by `a + b + 2 * lo32(a) * lo32(b)` and no message.
    @inline(__always)
    private static func mix(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64) {
        @inline(__always) func add(_ x: UInt64, _ y: UInt64) -> UInt64 {
            x &+ y &+ 2 &* (x & 0xFFFF_FFFF) &* (y & 0xFFFF_FFFF)
        }
        a = add(a, b)
        d = Blake2b.rotateRight(d ^ a, 32)
        c = add(c, d)
        b = Blake2b.rotateRight(b ^ c, 24)
        a = add(a, b)
        d = Blake2b.rotateRight(d ^ a, 16)
        c = add(c, d)
        b = Blake2b.rotateRight(b ^ c, 63)
    }
}
