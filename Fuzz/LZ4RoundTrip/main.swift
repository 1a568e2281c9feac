// libFuzzer target for the LZ4 block encoder (build with scripts/fuzz.sh LZ4RoundTrip SECONDS).
//
// Input: any bytes. Checks: the encoded block stays within the size bound, obeys the
// end-of-block rules of §16.7, and decodes to the input with an exact-size output buffer.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLZ4RoundTrip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: size > 0 ? data : nil, count: size)
    let codec = SwiftLZ4()
    let block = codec.compress(input)
    precondition(block.count <= size + size / 255 + 16, "block exceeds the bound")

    // Walk the sequences: only the last one may lack a match, and every match starts more than
    // 12 bytes and ends at least 5 bytes before the end.
    var position = 0
    var produced = 0
    func length(_ nibble: Int) -> Int {
        guard nibble == 15 else { return nibble }
        var total = 15
        while true {
            let byte = Int(block[position])
            position += 1
            total += byte
            if byte != 255 { return total }
        }
    }
    while true {
        let token = Int(block[position])
        position += 1
        let literals = length(token >> 4)
        position += literals
        produced += literals
        if position == block.count { break }
        position += 2
        let match = length(token & 15) + 4
        precondition(produced < size - 12, "match starts in the last 12 bytes")
        precondition(produced + match <= size - 5, "match reaches into the last 5 bytes")
        produced += match
    }
    precondition(produced == size, "block length differs from the input")

    let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: size)
    defer { output.deallocate() }
    let count = block.withUnsafeBufferPointer { try? codec.decompress($0, into: output) }
    precondition(count == size, "exact-size decode failed")
    precondition(output.elementsEqual(input), "round trip differs")
    return 0
}
