/// Why an LZ4 block did not decode.
public enum LZ4Error: Error, Equatable, Sendable {
    /// The input ended in the middle of a sequence.
    case truncatedInput
    /// A match offset was zero or reached before the start of the output.
    case invalidOffset
    /// The decoded data would not fit in the output buffer.
    case outputOverflow
}
