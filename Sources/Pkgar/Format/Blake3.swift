// BLAKE3 (hash, keyed hash, key derivation, extendable output) in pure Swift, no Foundation.
// Written from the BLAKE3 specification: 1 KiB chunks of 64-byte blocks, a binary tree of chaining
// values merged as chunks complete, 7-round compression with the fixed message permutation.

/// An incremental BLAKE3 hasher; `Blake3.hash(_:)` is the one-shot form.
public struct Blake3: Sendable {
    /// The default digest length in bytes.
    public static let digestSize = 32

    private static let iv: [UInt32] = [
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
    ]

    private enum Flag {
        static let chunkStart: UInt32 = 1
        static let chunkEnd: UInt32 = 2
        static let parent: UInt32 = 4
        static let root: UInt32 = 8
        static let keyedHash: UInt32 = 16
        static let deriveKeyContext: UInt32 = 32
        static let deriveKeyMaterial: UInt32 = 64
    }

    private let key: [UInt32]
    private let flags: UInt32
    private var chunk: ChunkState
    private var stack: [[UInt32]] = []

    /// A hasher in the default (unkeyed) mode.
    public init() {
        self.init(keyWords: Blake3.iv, flags: 0)
    }

    /// A hasher in keyed mode; `key` must be exactly 32 bytes.
    public init?(key: [UInt8]) {
        guard key.count == 32 else { return nil }
        self.init(keyWords: Blake3.words(of: key), flags: Flag.keyedHash)
    }

    /// A hasher in key-derivation mode for the given context string.
    public init(deriveKeyContext context: String) {
        var contextHasher = Blake3(keyWords: Blake3.iv, flags: Flag.deriveKeyContext)
        contextHasher.update(Array(context.utf8))
        let contextKey = contextHasher.finalize()
        self.init(keyWords: Blake3.words(of: contextKey), flags: Flag.deriveKeyMaterial)
    }

    private init(keyWords: [UInt32], flags: UInt32) {
        key = keyWords
        self.flags = flags
        chunk = ChunkState(key: keyWords, counter: 0, flags: flags)
    }

    /// The 32-byte BLAKE3 hash of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = Blake3()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Adds `bytes` to the hashed input.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { update($0) }
    }

    /// Adds the bytes of `buffer` to the hashed input.
    public mutating func update(_ buffer: UnsafeBufferPointer<UInt8>) {
        var position = 0
        while position < buffer.count {
            if chunk.length == ChunkState.size {
                let chunkValue = chunk.output().chainingValue()
                let total = chunk.counter + 1
                addChunkChainingValue(chunkValue, totalChunks: total)
                chunk = ChunkState(key: key, counter: total, flags: flags)
            }
            let take = min(ChunkState.size - chunk.length, buffer.count - position)
            chunk.update(UnsafeBufferPointer(rebasing: buffer[position..<position + take]))
            position += take
        }
    }

    /// The first `count` bytes of the output (32 by default); the hasher may keep being updated.
    public func finalize(count: Int = Blake3.digestSize) -> [UInt8] {
        var output = chunk.output()
        var index = stack.count
        while index > 0 {
            index -= 1
            output = Blake3.parentOutput(left: stack[index], right: output.chainingValue(), key: key, flags: flags)
        }
        return output.rootBytes(count: count)
    }

    private mutating func addChunkChainingValue(_ value: [UInt32], totalChunks: UInt64) {
        var value = value
        var total = totalChunks
        while total & 1 == 0 {
            value = Blake3.parentOutput(left: stack.removeLast(), right: value, key: key, flags: flags).chainingValue()
            total >>= 1
        }
        stack.append(value)
    }

    private static func parentOutput(left: [UInt32], right: [UInt32], key: [UInt32], flags: UInt32) -> Output {
        Output(inputChainingValue: key, block: left + right, counter: 0, blockLength: 64, flags: flags | Flag.parent)
    }

    static func words(of bytes: [UInt8]) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: bytes.count / 4)
        for index in words.indices {
            let base = index * 4
            words[index] = UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8
                | UInt32(bytes[base + 2]) << 16 | UInt32(bytes[base + 3]) << 24
        }
        return words
    }

    // MARK: - Chunks and outputs

    private struct ChunkState: Sendable {
        static let size = 1024
        var chainingValue: [UInt32]
        let counter: UInt64
        var block = [UInt8](repeating: 0, count: 64)
        var blockLength = 0
        var blocksCompressed = 0
        let flags: UInt32

        init(key: [UInt32], counter: UInt64, flags: UInt32) {
            chainingValue = key
            self.counter = counter
            self.flags = flags
        }

        var length: Int { blocksCompressed * 64 + blockLength }
        var startFlag: UInt32 { blocksCompressed == 0 ? Flag.chunkStart : 0 }

        mutating func update(_ input: UnsafeBufferPointer<UInt8>) {
            guard let base = input.baseAddress else { return }
            var position = 0
            while position < input.count {
                if blockLength == 64 {
                    let buffered = block
                    buffered.withUnsafeBytes { compressBlock($0.baseAddress!) }
                    blockLength = 0
                }
                // Whole blocks straight from the input while more input follows (the last block
                // of a chunk is kept: it is compressed with the chunk-end flag).
                if blockLength == 0 {
                    while input.count - position > 64 {
                        compressBlock(UnsafeRawPointer(base + position))
                        position += 64
                    }
                }
                let take = min(64 - blockLength, input.count - position)
                let offset = blockLength
                block.withUnsafeMutableBytes { destination in
                    destination.baseAddress!.advanced(by: offset).copyMemory(from: base + position, byteCount: take)
                }
                blockLength += take
                position += take
            }
        }

        /// Compresses one 64-byte block (not the chunk's last) into the chaining value.
        mutating func compressBlock(_ bytes: UnsafeRawPointer) {
            let flags = self.flags | startFlag
            let counter = self.counter
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 32) { scratch in
                let message = scratch.baseAddress!, output = message + 16
                for index in 0..<16 {
                    message[index] = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
                }
                chainingValue.withUnsafeBufferPointer { value in
                    Blake3.compress(value.baseAddress!, message, counter, 64, flags, output)
                }
                for index in 0..<8 { chainingValue[index] = output[index] }
            }
            blocksCompressed += 1
        }

        func output() -> Output {
            var padded = block
            for index in blockLength..<64 { padded[index] = 0 }
            return Output(
                inputChainingValue: chainingValue, block: Blake3.words(of: padded), counter: counter,
                blockLength: UInt32(blockLength), flags: flags | startFlag | Flag.chunkEnd)
        }
    }

    private struct Output {
        let inputChainingValue: [UInt32]
        let block: [UInt32]
        let counter: UInt64
        let blockLength: UInt32
        let flags: UInt32

        func chainingValue() -> [UInt32] {
            Array(Blake3.compress(
                chainingValue: inputChainingValue, block: block, counter: counter, blockLength: blockLength,
                flags: flags)[0..<8])
        }

        func rootBytes(count: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            var outputCounter: UInt64 = 0
            while bytes.count < count {
                let words = Blake3.compress(
                    chainingValue: inputChainingValue, block: block, counter: outputCounter,
                    blockLength: blockLength, flags: flags | Flag.root)
                for word in words where bytes.count < count {
                    for shift in stride(from: 0, to: 32, by: 8) where bytes.count < count {
                        bytes.append(UInt8(truncatingIfNeeded: word >> UInt32(shift)))
                    }
                }
                outputCounter += 1
            }
            return bytes
        }
    }

    // MARK: - Compression

    /// The compression function: 16 output words (the first 8 are the next chaining value).
    static func compress(
        chainingValue: [UInt32], block: [UInt32], counter: UInt64, blockLength: UInt32, flags: UInt32
    ) -> [UInt32] {
        var output = [UInt32](repeating: 0, count: 16)
        chainingValue.withUnsafeBufferPointer { cv in
            block.withUnsafeBufferPointer { words in
                output.withUnsafeMutableBufferPointer { out in
                    compress(cv.baseAddress!, words.baseAddress!, counter, blockLength, flags, out.baseAddress!)
                }
            }
        }
        return output
    }

    /// The compression function over raw pointers, all state in locals (no allocation):
    /// `cv` 8 words, `m` 16 message words, `out` 16 words.
    static func compress(
        _ cv: UnsafePointer<UInt32>, _ m: UnsafePointer<UInt32>, _ counter: UInt64, _ blockLength: UInt32,
        _ flags: UInt32, _ out: UnsafeMutablePointer<UInt32>
    ) {
        var v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7]
        var v8: UInt32 = 0x6A09E667, v9: UInt32 = 0xBB67AE85, v10: UInt32 = 0x3C6EF372, v11: UInt32 = 0xA54FF53A
        var v12 = UInt32(truncatingIfNeeded: counter), v13 = UInt32(truncatingIfNeeded: counter >> 32)
        var v14 = blockLength, v15 = flags
        var m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6], m7 = m[7]
        var m8 = m[8], m9 = m[9], m10 = m[10], m11 = m[11], m12 = m[12], m13 = m[13], m14 = m[14], m15 = m[15]

        @inline(__always)
        func g(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ x: UInt32, _ y: UInt32) {
            a = a &+ b &+ x
            d = (d ^ a) >> 16 | (d ^ a) << 16
            c = c &+ d
            b = (b ^ c) >> 12 | (b ^ c) << 20
            a = a &+ b &+ y
            d = (d ^ a) >> 8 | (d ^ a) << 24
            c = c &+ d
            b = (b ^ c) >> 7 | (b ^ c) << 25
        }

        for round in 0..<7 {
            g(&v0, &v4, &v8, &v12, m0, m1)
            g(&v1, &v5, &v9, &v13, m2, m3)
            g(&v2, &v6, &v10, &v14, m4, m5)
            g(&v3, &v7, &v11, &v15, m6, m7)
            g(&v0, &v5, &v10, &v15, m8, m9)
            g(&v1, &v6, &v11, &v12, m10, m11)
            g(&v2, &v7, &v8, &v13, m12, m13)
            g(&v3, &v4, &v9, &v14, m14, m15)
            if round < 6 {
                // The message permutation [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8].
                (m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15) =
                    (m2, m6, m3, m10, m7, m0, m4, m13, m1, m11, m12, m5, m9, m14, m15, m8)
            }
        }
        out[0] = v0 ^ v8; out[1] = v1 ^ v9; out[2] = v2 ^ v10; out[3] = v3 ^ v11
        out[4] = v4 ^ v12; out[5] = v5 ^ v13; out[6] = v6 ^ v14; out[7] = v7 ^ v15
        out[8] = v8 ^ cv[0]; out[9] = v9 ^ cv[1]; out[10] = v10 ^ cv[2]; out[11] = v11 ^ cv[3]
        out[12] = v12 ^ cv[4]; out[13] = v13 ^ cv[5]; out[14] = v14 ^ cv[6]; out[15] = v15 ^ cv[7]
    }
}
