// libFuzzer target for the LZ4 block decoder (build with scripts/fuzz.sh LZ4Decode SECONDS).
//
// Input: 2 bytes of output capacity (little-endian, times 2), then the block. Checks, for any
// input: no crash or out-of-bounds access (AddressSanitizer), the result agrees with a plain
// byte-by-byte decoder written from §16.7, the output past the result is zero, and decoded data
// survives an encode/decode round trip.

/// What a plain decoder makes of `block` with room for `capacity` bytes.
func plainDecode(_ block: UnsafeBufferPointer<UInt8>, capacity: Int) -> Result<[UInt8], LZ4Error> {
    var output: [UInt8] = []
    var position = 0
    func length(_ nibble: Int) -> Int? {
        guard nibble == 15 else { return nibble }
        var total = 15
        while position < block.count {
            let byte = Int(block[position])
            position += 1
            total += byte
            if byte != 255 { return total }
        }
        return nil
    }
    while true {
        guard position < block.count else { return .failure(.truncatedInput) }
        let token = Int(block[position])
        position += 1
        guard let literals = length(token >> 4) else { return .failure(.truncatedInput) }
        guard literals <= block.count - position else { return .failure(.truncatedInput) }
        guard literals <= capacity - output.count else { return .failure(.outputOverflow) }
        output += block[position..<position + literals]
        position += literals
        if position == block.count { return .success(output) }
        guard block.count - position >= 2 else { return .failure(.truncatedInput) }
        let offset = Int(block[position]) | Int(block[position + 1]) << 8
        position += 2
        guard offset != 0, offset <= output.count else { return .failure(.invalidOffset) }
        guard let extra = length(token & 15) else { return .failure(.truncatedInput) }
        guard extra + 4 <= capacity - output.count else { return .failure(.outputOverflow) }
        for _ in 0..<extra + 4 { output.append(output[output.count - offset]) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLZ4Decode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let capacity = (Int(data[0]) | Int(data[1]) << 8) * 2
    let block = UnsafeBufferPointer(start: data + 2, count: size - 2)
    let codec = SwiftLZ4()

    let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
    defer { output.deallocate() }
    output.initialize(repeating: 0xA5)
    let result: Result<Int, LZ4Error>
    do throws(LZ4Error) {
        result = .success(try codec.decompress(block, into: output))
    } catch {
        result = .failure(error)
    }

    switch (result, plainDecode(block, capacity: capacity)) {
    case let (.success(count), .success(expected)):
        precondition(count == expected.count && count <= capacity, "decoded length differs")
        precondition(output[0..<count].elementsEqual(expected), "decoded bytes differ")
        precondition(output[count...].allSatisfy { $0 == 0 }, "output past the result is not zero")
        // Whatever decodes must survive a round trip through the encoder.
        let encoded = codec.compress(expected)
        let again = try? codec.decompress(encoded, outputCapacity: expected.count)
        precondition(again == expected, "round trip failed")
    case let (.failure(error), .failure(expected)):
        precondition(error == expected, "different error")
    default:
        preconditionFailure("the decoders disagree on success")
    }
    return 0
}
