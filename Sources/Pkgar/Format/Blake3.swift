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
            var position = 0
            while position < input.count {
                if blockLength == 64 {
                    let words = Blake3.words(of: block)
                    chainingValue = Array(Blake3.compress(
                        chainingValue: chainingValue, block: words, counter: counter, blockLength: 64,
                        flags: flags | startFlag)[0..<8])
                    blocksCompressed += 1
                    blockLength = 0
                }
                let take = min(64 - blockLength, input.count - position)
                for offset in 0..<take { block[blockLength + offset] = input[position + offset] }
                blockLength += take
                position += take
            }
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

    private static let permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]

    /// The compression function: 16 output words (the first 8 are the next chaining value).
    static func compress(
        chainingValue: [UInt32], block: [UInt32], counter: UInt64, blockLength: UInt32, flags: UInt32
    ) -> [UInt32] {
        var state: [UInt32] = [
            chainingValue[0], chainingValue[1], chainingValue[2], chainingValue[3],
            chainingValue[4], chainingValue[5], chainingValue[6], chainingValue[7],
            iv[0], iv[1], iv[2], iv[3],
            UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), blockLength, flags,
        ]
        var message = block
        state.withUnsafeMutableBufferPointer { v in
            for round in 0..<7 {
                message.withUnsafeBufferPointer { m in
                    mix(v, 0, 4, 8, 12, m[0], m[1])
                    mix(v, 1, 5, 9, 13, m[2], m[3])
                    mix(v, 2, 6, 10, 14, m[4], m[5])
                    mix(v, 3, 7, 11, 15, m[6], m[7])
                    mix(v, 0, 5, 10, 15, m[8], m[9])
                    mix(v, 1, 6, 11, 12, m[10], m[11])
                    mix(v, 2, 7, 8, 13, m[12], m[13])
                    mix(v, 3, 4, 9, 14, m[14], m[15])
                }
                if round < 6 {
                    let previous = message
                    for index in 0..<16 { message[index] = previous[permutation[index]] }
                }
            }
            for index in 0..<8 {
                v[index] ^= v[index + 8]
                v[index + 8] ^= chainingValue[index]
            }
        }
        return state
    }

    @inline(__always)
    private static func mix(
        _ v: UnsafeMutableBufferPointer<UInt32>, _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32
    ) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = rotateRight(v[d] ^ v[a], 16)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 12)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = rotateRight(v[d] ^ v[a], 8)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 7)
    }

    @inline(__always)
    private static func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value >> count) | (value << (32 - count))
    }
}
