// Output: lines assembled from pieces and written with one system call (so lines of different
// processes do not interleave).

/// A piece of a line: text, a number, bytes.
public enum Piece: ExpressibleByStringLiteral {
    case text(StaticString)
    case number(Int)
    case hex(UInt64)
    case bytes([UInt8])

    public init(stringLiteral value: StaticString) { self = .text(value) }

    public func append(to line: inout [UInt8]) {
        switch self {
        case .text(let text):
            line.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        case .number(let value):
            line.append(contentsOf: decimal(value))
        case .hex(let value):
            line.append(contentsOf: [0x30, 0x78])
            var started = false
            for index in stride(from: 15, through: 0, by: -1) {
                let nibble = UInt8(truncatingIfNeeded: value >> (4 * UInt64(index))) & 0xF
                if nibble != 0 || started || index == 0 {
                    started = true
                    line.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)
                }
            }
        case .bytes(let bytes):
            line.append(contentsOf: bytes)
        }
    }
}

public func decimal(_ value: Int) -> [UInt8] {
    if value == 0 { return [0x30] }
    var digits: [UInt8] = []
    var rest = value.magnitude
    while rest > 0 {
        digits.append(0x30 + UInt8(rest % 10))
        rest /= 10
    }
    if value < 0 { digits.append(0x2D) }
    return digits.reversed()
}

/// Writes the pieces and a newline to standard output (fd 1).
public func say(_ pieces: Piece...) {
    var line: [UInt8] = []
    for piece in pieces { piece.append(to: &line) }
    line.append(0x0A)
    _ = Sys.write(Runtime.standardOutput, line)
}

/// Writes the pieces and a newline to `fd`.
public func say(to fd: Int, _ pieces: Piece...) {
    var line: [UInt8] = []
    for piece in pieces { piece.append(to: &line) }
    line.append(0x0A)
    _ = Sys.write(fd, line)
}

@_cdecl("runtime_putchar")
func runtimePutchar(_ character: Int32) -> Int32 {
    _ = Sys.write(Runtime.standardOutput, [UInt8(truncatingIfNeeded: character)])
    return character
}

/// The bytes of a static string.
public func bytes(_ text: StaticString) -> [UInt8] {
    Array(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
}
