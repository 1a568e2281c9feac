// A lexical pre-check of TOML text before it reaches toml++ 3.4 (inside TOMLKit 0.6.0), which
// crashes on some malformed input instead of reporting an error:
//  - it asserts (SIGABRT in debug builds, undefined behaviour with NDEBUG) when a table header
//    does not start with a key (`[.x]`, `[/x]`, `[ é]`, `[=]`) and when an array element position
//    holds `}` (`a = [}]`, `a = ["x",}"y"]`);
//  - it recurses once per nesting level when it finishes a document (parser::update_region_ends)
//    and frees it, and limits only inline values to 256 levels, so a dotted key or table header
//    of some thousands of segments (`a.a.a.a… = 1`) overflows the stack (SIGSEGV);
//  - TOMLKit hands text and strings across as C strings, so a NUL byte or a `\u0000` escape
//    silently cuts the document, a key or a string short;
//  - toml++ asserts when a date is followed by a space, one digit and the end of the value
//    (`a = 2020-01-01 0`; found by the RecipeParser fuzz target).
// This scan refuses exactly those inputs (with the line and column), plus non-ASCII outside strings
// and comments (never valid TOML, and a cause of the header assertion). It never recurses: nesting
// is a counter and a stack of open containers. Where it is unsure it says nothing and leaves the
// verdict to the parser.

/// Finds the inputs toml++ would crash on or TOMLKit would silently cut short.
enum TOMLPrecheck {
    /// Tables, dotted keys and arrays nested deeper than this are refused (the configurations
    /// and recipes we read nest fewer than 10 levels; toml++ overflows its stack at some thousands).
    static let maximumDepth = 64

    /// A problem found, with its 1-based line and column (columns count characters).
    struct Problem: Equatable, Sendable, CustomStringConvertible {
        let line: Int
        let column: Int
        let message: String
        var description: String { "line \(line), column \(column): \(message)" }
    }

    /// The first problem in `text`, or nil.
    static func problem(in text: String) -> Problem? {
        var scanner = Scanner(bytes: Array(text.utf8))
        return scanner.run()
    }

    private enum Mode { case code, comment, basic, literal, multilineBasic, multilineLiteral }
    private enum Expecting { case key, value, end }
    private struct Container {
        let isArray: Bool
        /// The level of an array's elements; the level of an inline table itself.
        let depth: Int
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var column = 0
        var mode = Mode.code
        var expecting = Expecting.key
        var containers: [Container] = []
        /// Segments of the last table header.
        var headerDepth = 0
        var inHeader = false
        /// Segments of the key being read.
        var keySegments = 1
        /// Depth of the value being read.
        var valueDepth = 0
        var atLineStart = true
        var lastSignificant: UInt8 = 0x0A

        init(bytes: [UInt8]) { self.bytes = bytes }

        static func isKeyStart(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
        }

        func problem(_ message: String) -> Problem { Problem(line: line, column: column, message: message) }

        func byte(at position: Int) -> UInt8? { position < bytes.count ? bytes[position] : nil }

        func triple(_ quote: UInt8, at position: Int) -> Bool {
            byte(at: position) == quote && byte(at: position + 1) == quote && byte(at: position + 2) == quote
        }

        /// The depth keys of the current statement start from.
        var keyBase: Int { inHeader ? 0 : (containers.last?.depth ?? headerDepth) }

        mutating func run() -> Problem? {
            while index < bytes.count {
                let byte = bytes[index]
                if byte & 0xC0 != 0x80 { column += 1 }
                if byte == 0 { return problem("a NUL byte (not allowed in TOML text)") }
                if byte == 0x0A {
                    line += 1
                    column = 0
                    if mode == .comment || mode == .basic || mode == .literal { mode = .code }
                    if mode == .code && containers.isEmpty {
                        expecting = .key
                        keySegments = 1
                        inHeader = false
                        atLineStart = true
                        lastSignificant = 0x0A
                    }
                    index += 1
                    continue
                }
                let found: Problem?
                switch mode {
                case .code: found = code(byte)
                case .comment: found = nil
                case .literal:
                    if byte == UInt8(ascii: "'") { mode = .code }
                    found = nil
                case .multilineLiteral:
                    if triple(UInt8(ascii: "'"), at: index) { closeMultiline(UInt8(ascii: "'")) }
                    found = nil
                case .basic, .multilineBasic:
                    found = basic(byte)
                }
                if let found { return found }
                index += 1
            }
            return nil
        }

        /// A byte inside a basic string: escapes (a `\u0000` one is refused) and the end.
        mutating func basic(_ byte: UInt8) -> Problem? {
            if byte == UInt8(ascii: "\\") {
                if let escape = nulEscape() { return escape }
                // Skip the escaped character unless it is a line break (line continuations).
                if let next = self.byte(at: index + 1), next != 0x0A, next != 0x0D {
                    index += 1
                    if next & 0xC0 != 0x80 { column += 1 }
                }
                return nil
            }
            if byte == UInt8(ascii: "\"") {
                if mode == .basic {
                    mode = .code
                } else if triple(UInt8(ascii: "\""), at: index) {
                    closeMultiline(UInt8(ascii: "\""))
                }
            }
            return nil
        }

        /// A `\u0000` or `\U00000000` escape at `index`: TOMLKit would cut the string there.
        func nulEscape() -> Problem? {
            guard let letter = byte(at: index + 1) else { return nil }
            let digits = letter == UInt8(ascii: "u") ? 4 : letter == UInt8(ascii: "U") ? 8 : 0
            guard digits > 0, index + 2 + digits <= bytes.count else { return nil }
            let hex = bytes[(index + 2)..<(index + 2 + digits)]
            guard hex.allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
            return problem("a \\u0000 escape (U+0000 cannot be carried through the TOML library)")
        }

        /// Ends a multi-line string at the `'''` or `"""` at `index` (up to two more quotes
        /// belong to the content: `""""` ends with a quote).
        mutating func closeMultiline(_ quote: UInt8) {
            index += 2
            column += 2
            var extra = 0
            while extra < 2, byte(at: index + 1) == quote { index += 1; column += 1; extra += 1 }
            mode = .code
            expecting = .end
        }

        /// Opens a string at `index` (a quote), multi-line when tripled.
        mutating func openString(_ quote: UInt8) {
            if triple(quote, at: index) {
                mode = quote == UInt8(ascii: "\"") ? .multilineBasic : .multilineLiteral
                index += 2
                column += 2
            } else {
                mode = quote == UInt8(ascii: "\"") ? .basic : .literal
            }
        }

        var tooDeep: Problem { problem("nested deeper than \(TOMLPrecheck.maximumDepth) levels (tables, dotted keys and arrays)") }

        /// Opens an array (its elements one level below it) or an inline table (its keys count
        /// their segments from the table's own level).
        mutating func push(isArray: Bool) -> Problem? {
            let depth = isArray ? valueDepth + 1 : valueDepth
            guard depth <= TOMLPrecheck.maximumDepth else { return tooDeep }
            containers.append(Container(isArray: isArray, depth: depth))
            if isArray {
                valueDepth = depth
                expecting = .value
            } else {
                expecting = .key
                keySegments = 1
            }
            return nil
        }

        mutating func pop() {
            containers.removeLast()
            expecting = .end
            if let top = containers.last, top.isArray { valueDepth = top.depth }
        }

        /// Whether the value starting at `index` looks like a date (10 characters, not counting
        /// underscores, with `-` at offsets 4 and 7) followed by a space, one digit and the end of
        /// the value: toml++ then reads on as a date-time and asserts (`parse_value`, scanning
        /// from a value terminator). Never valid TOML (a time needs `HH:MM:SS`).
        func dateWithLoneDigit() -> Bool {
            func ends(_ byte: UInt8?) -> Bool {
                guard let byte else { return true }
                return byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte >= 0x80
                    || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "#")
            }
            var position = index
            var count = 0
            var dashes = true
            while !ends(byte(at: position)) {
                let character = bytes[position]
                if character != UInt8(ascii: "_") {
                    if (count == 4 || count == 7) && character != UInt8(ascii: "-") { dashes = false }
                    count += 1
                }
                position += 1
                if count > 10 { return false }
            }
            guard count == 10, dashes, byte(at: position) == 0x20,
                  let digit = byte(at: position + 1), digit >= 0x30, digit <= 0x39 else { return false }
            return ends(byte(at: position + 2))
        }

        /// A byte outside strings and comments.
        mutating func code(_ byte: UInt8) -> Problem? {
            if byte == 0x20 || byte == 0x09 || byte == 0x0D { return nil }
            if byte >= 0x80 { return problem("a non-ASCII character outside a string or comment") }
            if byte == UInt8(ascii: "#") {
                mode = .comment
                return nil
            }
            if byte == UInt8(ascii: "}") && (lastSignificant == UInt8(ascii: "[") || lastSignificant == UInt8(ascii: ",")) {
                return problem("unexpected '}'")
            }
            lastSignificant = byte
            let quote = byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")

            if atLineStart && containers.isEmpty && byte == UInt8(ascii: "[") {
                atLineStart = false
                var next = index + 1
                if self.byte(at: next) == UInt8(ascii: "[") { next += 1 }
                while let space = self.byte(at: next), space == 0x20 || space == 0x09 { next += 1 }
                if let start = self.byte(at: next), start != UInt8(ascii: "]"), !Scanner.isKeyStart(start) {
                    column += next - index
                    return problem("a table header must start with a key name")
                }
                if self.byte(at: index + 1) == UInt8(ascii: "[") {
                    index += 1
                    column += 1
                }
                inHeader = true
                expecting = .key
                keySegments = 1
                return nil
            }
            atLineStart = false

            switch expecting {
            case .key:
                if quote {
                    openString(byte)
                } else if byte == UInt8(ascii: ".") {
                    keySegments += 1
                    if keyBase + keySegments > TOMLPrecheck.maximumDepth { return tooDeep }
                } else if byte == UInt8(ascii: "=") && !inHeader {
                    valueDepth = keyBase + keySegments
                    if valueDepth > TOMLPrecheck.maximumDepth { return tooDeep }
                    expecting = .value
                } else if byte == UInt8(ascii: "]") && inHeader {
                    headerDepth = keySegments
                    inHeader = false
                    expecting = .end
                } else if byte == UInt8(ascii: "}"), let top = containers.last, !top.isArray {
                    pop()
                }
            case .value, .end:
                if expecting == .value && byte >= 0x30 && byte <= 0x39 {
                    expecting = .end
                    if dateWithLoneDigit() { return problem("a date followed by a lone digit (not a date-time)") }
                } else if quote {
                    openString(byte)
                    if mode == .basic || mode == .literal || mode == .multilineBasic || mode == .multilineLiteral {
                        expecting = .end
                    }
                } else if byte == UInt8(ascii: "[") {
                    return push(isArray: true)
                } else if byte == UInt8(ascii: "{") {
                    return push(isArray: false)
                } else if byte == UInt8(ascii: "]"), let top = containers.last, top.isArray {
                    pop()
                } else if byte == UInt8(ascii: "}"), let top = containers.last, !top.isArray {
                    pop()
                } else if byte == UInt8(ascii: ","), let top = containers.last {
                    if top.isArray {
                        valueDepth = top.depth
                        expecting = .value
                    } else {
                        expecting = .key
                        keySegments = 1
                    }
                }
            }
            return nil
        }
    }
}
