/// Reading the environment block (`KEY=VALUE\n` lines) without allocating.
struct Environment {
    let base: UInt64
    let size: Int

    private var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(base)), count: size)
    }

    /// The value of `key` parsed as hexadecimal (the loader's format for numbers), or nil.
    func hexValue(_ key: StaticString) -> UInt64? {
        let name = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var lineStart = 0
        while lineStart < size {
            var lineEnd = lineStart
            while lineEnd < size && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let valueStart = lineStart + name.count + 1
            if valueStart <= lineEnd, bytes[lineStart..<lineStart + name.count].elementsEqual(name),
               bytes[valueStart - 1] == UInt8(ascii: "=") {
                return parseHex(valueStart..<lineEnd)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    private func parseHex(_ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty, range.count <= 16 else { return nil }
        var value: UInt64 = 0
        for index in range {
            let digit: UInt8
            switch bytes[index] {
            case 0x30...0x39: digit = bytes[index] - 0x30
            case 0x61...0x66: digit = bytes[index] - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
