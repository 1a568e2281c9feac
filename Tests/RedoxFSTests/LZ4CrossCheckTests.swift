import CLZ4
import Foundation
import RedoxFS
import RedoxFSFormat
import Testing
import RedoxFSTestSupport

/// Decodes with liblz4 itself (not through `SystemLZ4`, which falls back to `SwiftLZ4`).
private func liblz4Decode(_ block: [UInt8], capacity: Int) -> [UInt8]? {
    var output = [UInt8](repeating: 0, count: max(capacity, 1))
    let result = block.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { destination in
            source.withMemoryRebound(to: CChar.self) { source in
                destination.withMemoryRebound(to: CChar.self) { destination in
                    LZ4_decompress_safe(source.baseAddress, destination.baseAddress, Int32(source.count), Int32(capacity))
                }
            }
        }
    }
    guard result >= 0 else { return nil }
    return Array(output[0..<Int(result)])
}

/// Encodes with liblz4 itself, given a worst-case-sized buffer (the reference for `SystemLZ4`).
private func liblz4Encode(_ input: [UInt8]) -> [UInt8] {
    let capacity = Int(LZ4_compressBound(Int32(input.count)))
    var output = [UInt8](repeating: 0, count: capacity)
    let written = input.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { destination in
            source.withMemoryRebound(to: CChar.self) { source in
                destination.withMemoryRebound(to: CChar.self) { destination in
                    LZ4_compress_default(source.baseAddress, destination.baseAddress, Int32(source.count), Int32(capacity))
                }
            }
        }
    }
    return Array(output[0..<max(0, Int(written))])
}

@Suite struct LZ4CrossCheckTests {
    static let sizes = [0, 1, 4, 12, 13, 14, 20, 100, 1000, 4095, 4096, 8192, 65_535, 65_536, 65_537, 100_000, 131_072]

    /// (repeat share in percent, alphabet size): from incompressible to highly repetitive.
    static let kinds: [(Int, Int)] = [(0, 256), (0, 4), (30, 256), (60, 26), (90, 256), (99, 2)]

    @Test func swiftBlocksDecodeWithLiblz4() throws {
        var generator = SplitMix64(state: 1)
        for size in Self.sizes {
            for (share, alphabet) in Self.kinds {
                let input = generator.data(size, repeatShare: share, alphabet: alphabet)
                let block = SwiftLZ4().compress(input)
                // liblz4 is strict about the end-of-block rules when the capacity is exact.
                #expect(liblz4Decode(block, capacity: input.count) == input, "size \(size), kind \(share)/\(alphabet)")
                #expect(try SystemLZ4().decompress(block, outputCapacity: input.count) == input)
            }
        }
    }

    /// A limited attempt keeps exactly what fits, at the limits the record writer uses (half a
    /// record less the 2-byte length) and at the edges of each input's own encoded length. The
    /// hosted codec is held to liblz4 called directly with a full-size buffer (not through
    /// `SystemLZ4`, whose unlimited form shares its code); the portable one, whose limited form
    /// is its whole encoding kept when short enough, is held to liblz4's decoder and the limit.
    @Test func limitedCompressionKeepsWhatFits() throws {
        var generator = SplitMix64(state: 3)
        for size in Self.sizes where size > 0 {
            for (share, alphabet) in Self.kinds {
                let input = generator.data(size, repeatShare: share, alphabet: alphabet)
                let reference = liblz4Encode(input)
                let swiftLength = SwiftLZ4().compress(input).count
                let limits = [size / 2 - 2, 65_534, reference.count - 1, reference.count, reference.count + 1,
                              swiftLength - 1, swiftLength, swiftLength + 1]
                for limit in limits where limit >= 0 {
                    let context = "size \(size), kind \(share)/\(alphabet), limit \(limit)"
                    let limited = input.withUnsafeBufferPointer { SystemLZ4().compress($0, limit: limit) }
                    #expect(limited == (reference.count <= limit ? reference : nil), "\(context)")
                    let portable = input.withUnsafeBufferPointer { SwiftLZ4().compress($0, limit: limit) }
                    #expect((portable != nil) == (swiftLength <= limit), "\(context)")
                    if let portable {
                        #expect(portable.count <= limit, "\(context)")
                        #expect(liblz4Decode(portable, capacity: size) == input, "\(context)")
                    }
                }
            }
        }
    }

    @Test func liblz4BlocksDecodeWithSwift() throws {
        var generator = SplitMix64(state: 2)
        for size in Self.sizes {
            for (share, alphabet) in Self.kinds {
                let input = generator.data(size, repeatShare: share, alphabet: alphabet)
                let block = SystemLZ4().compress(input)
                #expect(try SwiftLZ4().decompress(block, outputCapacity: input.count) == input, "size \(size)")
                #expect(try SwiftLZ4().decompress(block, outputCapacity: input.count + 1000) == input)
            }
        }
    }

    @Test func randomSizes() throws {
        var generator = SplitMix64(state: 3)
        for _ in 0..<40 {
            let size = generator.next(below: 131_073)
            let (share, alphabet) = Self.kinds[generator.next(below: Self.kinds.count)]
            let input = generator.data(size, repeatShare: share, alphabet: alphabet)
            #expect(liblz4Decode(SwiftLZ4().compress(input), capacity: size) == input)
            #expect(try SwiftLZ4().decompress(SystemLZ4().compress(input), outputCapacity: size) == input)
        }
    }

    /// Ratio sanity: on compressible data our blocks are within a few percent of liblz4's.
    @Test func compressionRatioIsComparable() {
        var generator = SplitMix64(state: 4)
        for (share, alphabet) in [(60, 26), (90, 256), (30, 4)] {
            let input = generator.data(131_072, repeatShare: share, alphabet: alphabet)
            let ours = SwiftLZ4().compress(input).count
            let theirs = SystemLZ4().compress(input).count
            #expect(Double(ours) <= Double(theirs) * 1.10, "ours \(ours), liblz4 \(theirs)")
        }
    }

    /// Garbage and damaged blocks: neither decoder crashes; whatever `SwiftLZ4` accepts,
    /// `SystemLZ4` and liblz4 accept with the same result; whatever liblz4 accepts, `SwiftLZ4`
    /// accepts too, except matches at offset 0 (liblz4 1.9 does not check them, §16.7 forbids them).
    @Test func garbageIntoBothDecoders() {
        var generator = SplitMix64(state: 5)
        let valid = SwiftLZ4().compress(generator.data(30_000, repeatShare: 70, alphabet: 40))
        var offsetZeroCases = 0
        for round in 0..<4000 {
            var block: [UInt8]
            switch round % 3 {
            case 0:
                block = generator.bytes(generator.next(below: 300))
            case 1:
                // Low nibbles and small offsets make long chains of valid-looking sequences.
                block = (0..<generator.next(below: 300)).map { _ in UInt8(generator.next(below: 20)) }
            default:
                block = valid
                for _ in 0..<1 + generator.next(below: 4) {
                    block[generator.next(below: block.count)] = UInt8(truncatingIfNeeded: generator.next())
                }
                if generator.next(below: 2) == 0 { block.removeLast(generator.next(below: block.count)) }
            }
            let capacity = generator.next(below: 2) == 0 ? 40_000 : generator.next(below: 2000)
            let reference = liblz4Decode(block, capacity: capacity)
            do {
                let swift = try SwiftLZ4().decompress(block, outputCapacity: capacity)
                #expect(swift.count <= capacity)
                #expect((try? SystemLZ4().decompress(block, outputCapacity: capacity)) == swift, "round \(round)")
                if let reference { #expect(reference == swift, "round \(round)") }
            } catch {
                if reference != nil {
                    #expect(error == .invalidOffset, "round \(round)")
                    offsetZeroCases += 1
                }
            }
        }
        #expect(offsetZeroCases < 20)
    }

    @Test func systemErrorsMatchSwiftErrors() {
        let blocks: [[UInt8]] = [[], [0x50, 0x61], [0x14, 0x61, 0x00, 0x00, 0x00], [0x14, 0x61, 0x02, 0x00, 0x00], [0xF0, 0xFF]]
        for block in blocks {
            var swiftError: LZ4Error?
            var systemError: LZ4Error?
            do { _ = try SwiftLZ4().decompress(block, outputCapacity: 100) } catch { swiftError = error }
            do { _ = try SystemLZ4().decompress(block, outputCapacity: 100) } catch { systemError = error }
            #expect(swiftError != nil)
            #expect(swiftError == systemError)
        }
        #expect(throws: LZ4Error.outputOverflow) { try SystemLZ4().decompress([0x50, 1, 2, 3, 4, 5], outputCapacity: 4) }
    }
}

/// Compressed records of a real upstream image (fixture `ar.img`, §16.6).
@Suite struct LZ4FixtureTests {
    static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures/redoxfs-0.9.1/ar.img.zst").standardizedFileURL

    static let zstd = ["/usr/bin/zstd", "/usr/local/bin/zstd", "/bin/zstd"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static var available: Bool { zstd != nil && FileManager.default.fileExists(atPath: fixture.path) }

    /// `text(n, tag)` of the fixture generator (`gen_tree_a.py`).
    static func generatorText(_ count: Int, tag: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 100)
        var line = 0
        while out.count < count {
            let number = String(line)
            let padded = String(repeating: "0", count: max(0, 8 - number.count)) + number
            out += Array("\(tag) line \(padded): the quick brown fox jumps over the lazy dog\n".utf8)
            line += 1
        }
        return Array(out[0..<count])
    }

    /// `/compressible-1MiB.txt` in ar.img: 8 records of 128 KiB, each LZ4-compressed into 4 blocks
    /// (pointer level 2, decomp level 5), stored at blocks 4848, 4852, …, 4876 by redoxfs-ar.
    @Test(.enabled(if: available, "needs zstd and the shared fixtures"))
    func compressibleFileRecords() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redoxfs-lz4-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = directory.appendingPathComponent("ar.img")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.zstd))
        process.arguments = ["-d", "-q", "-f", Self.fixture.path, "-o", image.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)

        let handle = try FileHandle(forReadingFrom: image)
        defer { try? handle.close() }
        let recordSize = 128 * 1024
        let expected = Self.generatorText(1 << 20, tag: "compressible")
        for record in 0..<8 {
            try handle.seek(toOffset: UInt64(4848 + 4 * record) * 4096)
            let stored = [UInt8](try #require(try handle.read(upToCount: 4 * 4096)))
            try #require(stored.count == 4 * 4096)
            let length = Int(stored[0]) | Int(stored[1]) << 8
            try #require(2 + length <= stored.count)
            #expect(stored[(2 + length)...].allSatisfy { $0 == 0 })
            let block = Array(stored[2..<2 + length])
            let want = Array(expected[record * recordSize..<(record + 1) * recordSize])
            #expect(try SwiftLZ4().decompress(block, outputCapacity: recordSize) == want, "record \(record)")
            #expect(try SystemLZ4().decompress(block, outputCapacity: recordSize) == want, "record \(record)")
            // Our own encoding of the same record must fit the same way (same ballpark as the
            // reference encoder).
            #expect(SwiftLZ4().compress(want).count <= length + length / 10)
        }
    }
}
