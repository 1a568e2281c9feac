// Raw LZMA2 streams through liblzma (pkgar.md §1.4): no container, preset 5 when writing,
// a 64 MiB dictionary limit when reading.
import CLZMA

/// Raw LZMA2 compression of entry data.
public enum LZMA2 {
    /// Compresses `bytes` into a raw LZMA2 stream (preset 5, 8 MiB dictionary).
    public static func compress(_ bytes: [UInt8]) throws(PkgarError) -> [UInt8] {
        var options = lzma_options_lzma()
        guard lzma_lzma_preset(&options, 5) == 0 else { throw .compression("preset 5 unavailable") }
        return try withUnsafeMutablePointer(to: &options) { optionsPointer throws(PkgarError) in
            var filters = [
                lzma_filter(id: clzma_filter_lzma2, options: UnsafeMutableRawPointer(optionsPointer)),
                lzma_filter(id: clzma_vli_unknown, options: nil),
            ]
            var stream = lzma_stream()
            guard lzma_raw_encoder(&stream, &filters) == LZMA_OK else { throw .compression("encoder setup failed") }
            defer { lzma_end(&stream) }
            return try run(&stream, input: bytes, expectedOutput: nil)
        }
    }

    /// Decompresses a raw LZMA2 stream that must decode to exactly `expectedLength` bytes.
    public static func decompress(_ stream: [UInt8], expectedLength: UInt64) throws(PkgarError) -> [UInt8] {
        var options = lzma_options_lzma()
        guard lzma_lzma_preset(&options, 5) == 0 else { throw .compression("preset 5 unavailable") }
        options.dict_size = 64 << 20
        return try withUnsafeMutablePointer(to: &options) { optionsPointer throws(PkgarError) in
            var filters = [
                lzma_filter(id: clzma_filter_lzma2, options: UnsafeMutableRawPointer(optionsPointer)),
                lzma_filter(id: clzma_vli_unknown, options: nil),
            ]
            var state = lzma_stream()
            guard lzma_raw_decoder(&state, &filters) == LZMA_OK else { throw .compression("decoder setup failed") }
            defer { lzma_end(&state) }
            return try run(&state, input: stream, expectedOutput: expectedLength)
        }
    }

    private static func run(_ stream: inout lzma_stream, input: [UInt8], expectedOutput: UInt64?) throws(PkgarError) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let limit = expectedOutput.map { Int($0) }
        let status: lzma_ret = input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = inputBuffer.count
            while true {
                let result: lzma_ret = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = chunkBuffer.count
                    return lzma_code(&stream, LZMA_FINISH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - stream.avail_out)])
                if let limit, output.count > limit { return LZMA_DATA_ERROR }
                if result != LZMA_OK { return result }
                if stream.avail_in == 0 && stream.avail_out != 0 && expectedOutput != nil { return LZMA_BUF_ERROR }
            }
        }
        guard status == LZMA_STREAM_END else { throw .compression("stream error (liblzma status \(status.rawValue))") }
        guard stream.avail_in == 0 else { throw .compression("trailing bytes after the LZMA2 end marker") }
        if let expectedOutput, UInt64(output.count) != expectedOutput {
            throw .lengthMismatch(what: "LZMA2 data", expected: expectedOutput, actual: UInt64(output.count))
        }
        return output
    }
}
