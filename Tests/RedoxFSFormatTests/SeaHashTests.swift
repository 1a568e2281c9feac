import Testing
@testable import RedoxFSFormat

/// The seahash vectors of the format spec, §16.1 and §16.3.
@Suite struct SeaHashTests {
    static func pattern(_ n: Int) -> [UInt8] { (0..<n).map { UInt8($0 % 251) } }

    @Test(arguments: [
        (0, 0xC920CA43256FDCB9), (1, 0x78D3DB1F028AC5FD), (2, 0xA3E85C073FB24993),
        (3, 0x60679D4931772594), (4, 0x4C3731FB696759F8), (5, 0xA411C943C6217C77),
        (6, 0x1D3BE34FFD784B2F), (7, 0xF2401B4F29A84BDD), (8, 0xBEF3905516C9161D),
        (9, 0xBD9938EEE4A1CE16), (15, 0x1DA2D2F183459F57), (16, 0xB305C0A1EBD99EA9),
        (17, 0x8FACE76008A25AE6), (23, 0x99A55EABAE83C925), (24, 0x29D29A509E40AF34),
        (25, 0x7626B8E0DCE82BAF), (31, 0x174DB43E5D284F03), (32, 0x2F6B06CF184A204F),
        (33, 0x4E44CD0F57422A14), (63, 0xC42BC99B3B06A840), (64, 0xB667F87C9CA0DB70),
        (4096, 0x3415ED2A7F56CC9D),
    ] as [(Int, UInt64)])
    func patternVectors(length: Int, expected: UInt64) {
        #expect(SeaHash.hash(Self.pattern(length)) == expected)
    }

    @Test func zeroBlocks() {
        #expect(SeaHash.hash([UInt8](repeating: 0, count: 4072)) == 0xE81FFCB86026FF96)
        #expect(SeaHash.hash([UInt8](repeating: 0, count: 4096)) == 0x7AD6348702DA2905)
        #expect(SeaHash.hash([UInt8](repeating: 0, count: 8192)) == 0x7608F36407226121)
    }

    @Test func strings() {
        #expect(SeaHash.hash(Array("abc".utf8)) == 0x80796D63C232ED86)
        #expect(SeaHash.hash(Array("hello world".utf8)) == 0x17AC2A72BC3BDC1F)
        #expect(SeaHash.hash(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0xB5C93A0F41F7166C)
    }
}

/// Regressions found by fuzzing.
@Suite struct FuzzRegressionTests {
    /// Fuzz/Structures: a node whose size is near 2^64 overflowed the record count.
    @Test func hugeNodeSizeDoesNotOverflow() {
        var block = [UInt8](repeating: 0xC9, count: 4096)
        for i in 12..<24 { block[i] = 0xFF }
        let node = Node(block: block)
        #expect(node.recordCount > 0)
        var max = Node()
        max.size = .max
        max.recordLevel = 0
        #expect(max.recordCount == UInt64.max / 4096 + 1)
    }
}
