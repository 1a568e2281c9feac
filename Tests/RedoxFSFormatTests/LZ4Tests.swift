import RedoxFSTestSupport
import Testing
import RedoxFSFormat

/// A block walked sequence by sequence, the plain way: the decoded bytes and where each match
/// started. Used as an independent oracle and to check the encoder's end-of-block rules.
private struct WalkedBlock {
    var output: [UInt8] = []
    var matchStarts: [Int] = []

    /// Walks a well-formed block; nil if it is not one.
    init?(_ block: [UInt8]) {
        var position = 0
        func length(_ nibble: Int) -> Int? {
            guard nibble == 15 else { return nibble }
            var total = 15
            while true {
                guard position < block.count else { return nil }
                let byte = Int(block[position])
                position += 1
                total += byte
                if byte != 255 { return total }
            }
        }
        while true {
            guard position < block.count else { return nil }
            let token = Int(block[position])
            position += 1
            guard let literals = length(token >> 4), position + literals <= block.count else { return nil }
            output += block[position..<position + literals]
            position += literals
            if position == block.count { return }  // only a literal run can end a block
            guard position + 2 <= block.count else { return nil }
            let offset = Int(block[position]) | Int(block[position + 1]) << 8
            position += 2
            guard offset > 0, offset <= output.count, let extra = length(token & 15) else { return nil }
            matchStarts.append(output.count)
            for _ in 0..<extra + 4 { output.append(output[output.count - offset]) }
        }
    }
}

/// Inputs of the round-trip tests.
private enum Sample {
    static let text: [UInt8] = {
        var out: [UInt8] = []
        var i = 0
        while out.count < 20_000 {
            out += Array("line \(i): RedoxFS stores file content in records of up to 128 KiB.\n".utf8)
            i += 1
        }
        return out
    }()

    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(state: seed)
        return generator.bytes(count)
    }

    /// Runs, repeats of earlier data at random distances, text and noise.
    static func mixed(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(state: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let piece = 1 + generator.next(below: 300)
            switch generator.next(below: 4) {
            case 0: out += [UInt8](repeating: UInt8(truncatingIfNeeded: generator.next()), count: piece)
            case 1 where out.count > 0:
                let distance = 1 + generator.next(below: min(out.count, 70_000))
                for _ in 0..<piece { out.append(out[out.count - distance]) }
            case 2:
                let start = generator.next(below: 1000)
                out += text[start..<start + 200 + generator.next(below: 1000)]
            default: out += generator.bytes(piece)
            }
        }
        return Array(out[0..<count])
    }

    static func periodic(_ pattern: String, count: Int) -> [UInt8] {
        let bytes = Array(pattern.utf8)
        return (0..<count).map { bytes[$0 % bytes.count] }
    }
}

@Suite struct LZ4Tests {
    let codec = SwiftLZ4()

    /// Round-trips `input` and checks the encoder's end-of-block rules (§16.7).
    func checkRoundTrip(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let block = codec.compress(input)
        #expect(block.count <= input.count + input.count / 255 + 16, sourceLocation: sourceLocation)
        let decoded = try codec.decompress(block, outputCapacity: input.count)
        #expect(decoded == input, sourceLocation: sourceLocation)

        let walked = try #require(WalkedBlock(block), sourceLocation: sourceLocation)
        #expect(walked.output == input, sourceLocation: sourceLocation)
        if input.count < 13 {
            #expect(walked.matchStarts.isEmpty, sourceLocation: sourceLocation)
        }
        if let last = walked.matchStarts.last {
            // No match starts in the last 12 bytes; the last 5 bytes are literals.
            #expect(last < input.count - 12, sourceLocation: sourceLocation)
        }
    }

    @Test func emptyInput() throws {
        #expect(codec.compress([]) == [0x00])
        #expect(try codec.decompress([0x00], outputCapacity: 0) == [])
        try checkRoundTrip([])
    }

    @Test(arguments: [1, 2, 5, 11, 12, 13, 14, 17, 64])
    func shortInputs(count: Int) throws {
        try checkRoundTrip(Sample.random(count, seed: UInt64(count)))
        try checkRoundTrip([UInt8](repeating: 7, count: count))
    }

    @Test func shortInputsAreLiterals() {
        // Below 13 bytes a block is a single literal run, even when the data repeats.
        #expect(codec.compress([UInt8](repeating: 0, count: 12)) == [0xC0] + [UInt8](repeating: 0, count: 12))
        #expect(codec.compress([0x41]) == [0x10, 0x41])
    }

    @Test func zeros() throws {
        let input = [UInt8](repeating: 0, count: 4096)
        try checkRoundTrip(input)
        #expect(codec.compress(input).count < 32)
    }

    @Test func text() throws {
        try checkRoundTrip(Sample.text)
        #expect(codec.compress(Sample.text).count < Sample.text.count / 4)
    }

    @Test func random() throws {
        for (count, seed) in [(100, 1), (4096, 2), (65_536, 3), (131_072, 4)] as [(Int, UInt64)] {
            try checkRoundTrip(Sample.random(count, seed: seed))
        }
    }

    @Test func mixed() throws {
        try checkRoundTrip(Sample.mixed(131_072, seed: 11))
        try checkRoundTrip(Sample.mixed(131_071, seed: 12))
        try checkRoundTrip(Sample.mixed(1 << 20, seed: 13))  // sizes beyond a record work too
    }

    @Test(arguments: ["a", "ab", "abc", "abcdefg", "abcdefgh", "0123456789abcdefX"])
    func overlappingMatches(pattern: String) throws {
        for count in [13, 20, 100, 4096, 70_000] {
            let input = Sample.periodic(pattern, count: count)
            try checkRoundTrip(input)
        }
    }

    @Test func decodeZeroFillsTheRestOfTheOutput() throws {
        let input = Sample.mixed(10_000, seed: 5)
        let block = codec.compress(input)
        var output = [UInt8](repeating: 0xAA, count: 16_384)
        let produced = try block.withUnsafeBufferPointer { (source) throws(LZ4Error) in
            try output.withUnsafeMutableBufferPointer { (destination) throws(LZ4Error) in
                try codec.decompress(source, into: destination)
            }
        }
        #expect(produced == input.count)
        #expect(Array(output[..<produced]) == input)
        #expect(output[produced...].allSatisfy { $0 == 0 })
    }

    // MARK: Known-good blocks

    @Test func handMadeBlocks() throws {
        // Literals only.
        #expect(try codec.decompress([0x50] + Array("hello".utf8), outputCapacity: 5) == Array("hello".utf8))
        // One literal, a match of 8 at offset 1 (overlapping), five final literals.
        #expect(
            try codec.decompress([0x14, 0x61, 0x01, 0x00, 0x50] + Array("bcdef".utf8), outputCapacity: 100)
                == Array("aaaaaaaaabcdef".utf8))
        // Match length extension: 2 literals, match 4 + 15 + 10 = 29 at offset 2, then an empty
        // literal run.
        #expect(
            try codec.decompress([0x2F, 0x78, 0x79, 0x02, 0x00, 0x0A, 0x00], outputCapacity: 31)
                == Sample.periodic("xy", count: 31))
        // Literal length extension: 15 + 255 + 0 = 270 literals.
        let literals = Sample.random(270, seed: 9)
        #expect(try codec.decompress([0xF0, 0xFF, 0x00] + literals, outputCapacity: 270) == literals)
    }

    @Test func specExampleShape() throws {
        // §9.4: the stream starts FF 0D: 15 + 13 = 28 literals "Redo…", then a match.
        let head = Array("RedoxFS compressed record. ".utf8) + [0x0A]
        #expect(head.count == 28)
        // Match: offset 28, length 4 + 15 + 200 = 219; then 5 final literals.
        let block = [0xFF, 0x0D] + head + [0x1C, 0x00, 0xC8, 0x50] + Array("done\n".utf8)
        #expect(Array(block[0..<6]) == [0xFF, 0x0D, 0x52, 0x65, 0x64, 0x6F])
        var expected = head
        for _ in 0..<219 { expected.append(expected[expected.count - 28]) }
        expected += Array("done\n".utf8)
        #expect(try codec.decompress(block, outputCapacity: 16_384) == expected)
    }

    @Test func largestOffset() throws {
        let literals = (0..<65_535).map { UInt8(truncatingIfNeeded: $0 % 251) }
        var block: [UInt8] = [0xF0]
        var remaining = literals.count - 15
        while remaining >= 255 { block.append(255); remaining -= 255 }
        block.append(UInt8(remaining))
        block += literals
        block += [0xFF, 0xFF]  // offset 65535: back to byte 0
        block += [0x50, 1, 2, 3, 4, 5]
        let decoded = try codec.decompress(block, outputCapacity: 70_000)
        #expect(decoded == literals + literals[0..<4] + [1, 2, 3, 4, 5])
    }

    // MARK: Malformed blocks

    @Test(arguments: [
        ([], 100, LZ4Error.truncatedInput),  // no token at all
        ([0x50, 0x61, 0x62], 100, .truncatedInput),  // literal run cut short
        ([0x14, 0x61, 0x01], 100, .truncatedInput),  // offset cut after one byte
        ([0x14, 0x61, 0x00, 0x00, 0x00], 100, .invalidOffset),  // offset 0
        ([0x14, 0x61, 0x02, 0x00, 0x00], 100, .invalidOffset),  // offset before the output start
        ([0x00, 0x01, 0x00], 100, .invalidOffset),  // a match with no output yet
        ([0x50, 0x61, 0x62, 0x63, 0x64, 0x65], 4, .outputOverflow),  // literals do not fit
        ([0x14, 0x61, 0x01, 0x00, 0x00], 5, .outputOverflow),  // match does not fit
        ([0x1F, 0x61, 0x01, 0x00, 0xFF, 0xFF, 0x10], 100, .outputOverflow),  // extended match too long
        ([0xF0, 0xFF, 0xFF], 100_000, .truncatedInput),  // literal length extension runs off the end
        ([0x1F, 0x61, 0x01, 0x00, 0xFF], 100_000, .truncatedInput),  // match length extension runs off
        ([0x1F, 0x61, 0x01, 0x00], 100_000, .truncatedInput),  // extension byte missing entirely
        ([0x14, 0x61, 0x01, 0x00], 100, .truncatedInput),  // match, then no next token
    ] as [([UInt8], Int, LZ4Error)])
    func malformed(block: [UInt8], capacity: Int, expected: LZ4Error) {
        #expect(throws: expected) { try codec.decompress(block, outputCapacity: capacity) }
    }

    @Test func zeroCapacity() throws {
        #expect(try codec.decompress([0x00], outputCapacity: 0) == [])
        #expect(throws: LZ4Error.outputOverflow) { try codec.decompress([0x10, 0x61], outputCapacity: 0) }
        // An output buffer without storage behaves as capacity 0.
        let empty = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
        let produced = try [UInt8]([0x00]).withUnsafeBufferPointer { (source) throws(LZ4Error) in
            try codec.decompress(source, into: empty)
        }
        #expect(produced == 0)
    }

    @Test func garbageNeverCrashes() {
        var generator = SplitMix64(state: 0xDEC0DE)
        let valid = codec.compress(Sample.mixed(20_000, seed: 21))
        for round in 0..<3000 {
            var block: [UInt8]
            if round % 2 == 0 {
                block = generator.bytes(generator.next(below: 200))
            } else {
                // A valid block with a few bytes changed, maybe cut short.
                block = valid
                for _ in 0..<1 + generator.next(below: 4) {
                    block[generator.next(below: block.count)] = UInt8(truncatingIfNeeded: generator.next())
                }
                block.removeLast(generator.next(below: 2) == 0 ? 0 : generator.next(below: block.count))
            }
            let capacity = generator.next(below: 2) == 0 ? 20_000 : generator.next(below: 1000)
            let oracle = WalkedBlock(block)
            do {
                let decoded = try codec.decompress(block, outputCapacity: capacity)
                #expect(decoded.count <= capacity)
                #expect(decoded == oracle?.output)
            } catch {
                // Either the block is malformed, or its content does not fit.
                #expect(oracle.map { $0.output.count > capacity } ?? true)
            }
        }
    }
}
