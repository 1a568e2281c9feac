// A lexical pre-check of TOML text before it reaches toml++ (through TOMLKit): toml++ 3 asserts
// (aborting the process in debug builds, undefined behaviour with NDEBUG) when a key position
// holds a character that cannot start a key — `[.x]`, `{ ,a = 1}`, `a = ["x",}"y"]` — instead of
// reporting an error. This scan finds exactly those positions and reports them as syntax errors;
// whenever it is unsure it says nothing and leaves the verdict to the parser.

/// Finds the inputs toml++ would crash on.
enum TOMLPrecheck {
    private enum Container { case array, inlineTable }

    /// A message for a key position that cannot start a key, or nil.
    static func problem(in text: String) -> String? {
        var scanner = Scanner(bytes: Array(text.utf8))
        return scanner.run()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var stack: [Container] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        static func isKeyStart(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
        }

        mutating func skipSpaces() {
            while let byte = current, byte == 0x20 || byte == 0x09 { index += 1 }
        }

        /// Skips spaces, newlines and comments (inside arrays).
        mutating func skipBlank() {
            while let byte = current {
                if byte == 0x20 || byte == 0x09 || byte == 0x0D { index += 1 }
                else if byte == 0x0A { index += 1; line += 1 }
                else if byte == UInt8(ascii: "#") { while let next = current, next != 0x0A { index += 1 } }
                else { break }
            }
        }

        /// Skips a string starting at the current quote; false when it does not end.
        mutating func skipString() -> Bool {
            guard let quote = current else { return false }
            let triple = index + 2 < bytes.count && bytes[index + 1] == quote && bytes[index + 2] == quote
            index += triple ? 3 : 1
            while let byte = current {
                if byte == 0x0A { if !triple { return false }; line += 1 }
                if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") { index += 2; continue }
                if byte == quote {
                    if !triple { index += 1; return true }
                    if index + 2 < bytes.count && bytes[index + 1] == quote && bytes[index + 2] == quote {
                        index += 3
                        while current == quote { index += 1 }
                        return true
                    }
                }
                index += 1
            }
            return false
        }

        /// A key (dotted segments); returns a problem, or nil with `ok` false when unsure.
        mutating func key() -> (problem: String?, ok: Bool) {
            while true {
                skipSpaces()
                guard let byte = current else { return (nil, false) }
                guard Scanner.isKeyStart(byte) else {
                    return ("line \(line): expected a key, found \"\(String(decoding: [byte], as: UTF8.self))\"", false)
                }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    guard skipString() else { return (nil, false) }
                } else {
                    while let next = current, Scanner.isKeyStart(next), next != UInt8(ascii: "\""), next != UInt8(ascii: "'") { index += 1 }
                }
                skipSpaces()
                guard current == UInt8(ascii: ".") else { return (nil, true) }
                index += 1
            }
        }

        /// A value; returns a problem, or nil with `ok` false when unsure.
        mutating func value() -> (problem: String?, ok: Bool) {
            skipSpaces()
            guard let byte = current else { return (nil, false) }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                return (nil, skipString())
            case UInt8(ascii: "["):
                index += 1
                while true {
                    skipBlank()
                    guard let next = current else { return (nil, false) }
                    if next == UInt8(ascii: "]") { index += 1; return (nil, true) }
                    if next == UInt8(ascii: "}") { return ("line \(line): \"}\" inside an array", false) }
                    if next == UInt8(ascii: ",") { return (nil, false) }
                    let element = value()
                    if element.problem != nil || !element.ok { return element }
                    skipBlank()
                    if current == UInt8(ascii: ",") { index += 1; continue }
                    if current == UInt8(ascii: "]") { index += 1; return (nil, true) }
                    if current == UInt8(ascii: "}") { return ("line \(line): \"}\" inside an array", false) }
                    return (nil, false)
                }
            case UInt8(ascii: "{"):
                index += 1
                skipSpaces()
                if current == UInt8(ascii: "}") { index += 1; return (nil, true) }
                while true {
                    let name = key()
                    if name.problem != nil || !name.ok { return name }
                    skipSpaces()
                    guard current == UInt8(ascii: "=") else { return (nil, false) }
                    index += 1
                    let element = value()
                    if element.problem != nil || !element.ok { return element }
                    skipSpaces()
                    if current == UInt8(ascii: ",") { index += 1; continue }
                    if current == UInt8(ascii: "}") { index += 1; return (nil, true) }
                    return (nil, false)
                }
            default:
                // Numbers, booleans, dates: up to a delimiter (a date may hold one space).
                let start = index
                while let next = current, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "#")].contains(next) {
                    index += 1
                }
                if index - start == 10, current == 0x20, index + 1 < bytes.count, bytes[index + 1] >= 0x30, bytes[index + 1] <= 0x39 {
                    index += 1
                    while let next = current, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "#")].contains(next) {
                        index += 1
                    }
                }
                return (nil, index > start)
            }
        }

        mutating func run() -> String? {
            while true {
                skipBlank()
                guard let byte = current else { return nil }
                if byte == UInt8(ascii: "[") {
                    index += 1
                    if current == UInt8(ascii: "[") { index += 1 }
                    skipSpaces()
                    if current == UInt8(ascii: "]") { return nil }
                    let name = key()
                    if let problem = name.problem { return problem }
                    if !name.ok { return nil }
                    while let next = current, next != 0x0A { index += 1 }
                    continue
                }
                let name = key()
                if let problem = name.problem { return problem }
                if !name.ok { return nil }
                skipSpaces()
                guard current == UInt8(ascii: "=") else { return nil }
                index += 1
                let result = value()
                if let problem = result.problem { return problem }
                if !result.ok { return nil }
                skipSpaces()
                if current == UInt8(ascii: "#") { while let next = current, next != 0x0A { index += 1 } }
                guard current == nil || current == 0x0A || current == 0x0D else { return nil }
            }
        }
    }
}
