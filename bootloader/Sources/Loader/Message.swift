/// ASCII text built with string interpolation, without Foundation or Unicode tables:
/// `"kernel: \(size) bytes at \(hex: address)"`.
struct Message: ExpressibleByStringInterpolation {
    typealias StringLiteralType = StaticString

    var bytes: [UInt8]

    init(stringLiteral value: StaticString) {
        bytes = []
        bytes.append(value)
    }

    init(stringInterpolation: StringInterpolation) {
        bytes = stringInterpolation.bytes
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    struct StringInterpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            bytes.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: StaticString) {
            bytes.append(literal)
        }

        mutating func appendInterpolation(_ text: StaticString) {
            bytes.append(text)
        }

        mutating func appendInterpolation(_ message: Message) {
            bytes += message.bytes
        }

        /// A decimal number.
        mutating func appendInterpolation<T: BinaryInteger>(_ value: T) {
            bytes.appendDecimal(value)
        }

        /// A hexadecimal number in lowercase, zero-padded to `width` digits, without `0x`.
        mutating func appendInterpolation<T: BinaryInteger>(hex value: T, width: Int = 16) {
            bytes.appendHex(UInt64(truncatingIfNeeded: value), width: width)
        }

        /// An address for people: `0x` and lowercase hex without padding.
        mutating func appendInterpolation(address value: UInt64) {
            bytes.append("0x")
            bytes.appendHex(value, width: 1)
        }

        /// Bytes taken as ASCII text.
        mutating func appendInterpolation(ascii: [UInt8]) {
            bytes += ascii
        }
    }
}

extension Array where Element == UInt8 {
    mutating func append(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func appendDecimal<T: BinaryInteger>(_ value: T) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = UInt64(truncatingIfNeeded: value < 0 ? 0 - value : value)
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude != 0
        append(contentsOf: digits.reversed())
    }

    mutating func appendHex(_ value: UInt64, width: Int) {
        var digits = 1
        while digits < 16 && value >> (4 * UInt64(digits)) != 0 { digits += 1 }
        for index in stride(from: Swift.max(digits, width) - 1, through: 0, by: -1) {
            let nibble = index < 16 ? UInt8(truncatingIfNeeded: value >> (4 * UInt64(index))) & 0xF : 0
            append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
    }
}
