import Testing
import RedoxFSFormat

/// `matches(_:at:)`, the one byte comparison of the format core and the engine: every length
/// around the eight-byte stride, a difference at every position, and ranges past the end.
@Suite struct ByteMatchingTests {
    @Test func findsEveryDifferenceAndRejectsOverruns() {
        let base = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for offset in 0...3 {
            for length in 0...(base.count - offset) {
                let slice = Array(base[offset..<(offset + length)])
                #expect(base.matches(slice, at: offset))
                for position in 0..<length {
                    var changed = slice
                    changed[position] ^= 0x80
                    #expect(!base.matches(changed, at: offset), "offset \(offset) length \(length) position \(position)")
                }
            }
        }
        #expect(!base.matches([base[39], 0], at: 39))
        #expect(!base.matches([], at: 41))
        #expect(!base.matches([base[0]], at: -1))
        #expect(base.matches([], at: 40))
    }
}
