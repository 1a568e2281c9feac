/// Malformed TOML documents, one per class of bad input, each with the line its error must name
/// and a fragment of the reason. The first ones crashed toml++ 3.4 / TOMLKit 0.6.0 (or were cut
/// short silently) before the shared loader's pre-check; the rest are ordinary syntax errors.
/// Used by the loader's tests and by the installer's and the cookbook's command-line tests.
public enum MalformedTOML {
    /// One malformed document.
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        public let bytes: [UInt8]
        /// The line the error names.
        public let line: Int
        /// A fragment of the reason.
        public let reason: String
        /// Whether the bytes are valid UTF-8 (the others can only be given as files or bytes).
        public var isText: Bool { String(validating: bytes, as: UTF8.self) != nil }
        public var text: String { String(decoding: bytes, as: UTF8.self) }
        public var description: String { name }

        init(_ name: String, _ text: String, line: Int, _ reason: String) {
            self.init(name, Array(text.utf8), line: line, reason)
        }

        init(_ name: String, _ bytes: [UInt8], line: Int, _ reason: String) {
            self.name = name
            self.bytes = bytes
            self.line = line
            self.reason = reason
        }
    }

    static let header = "a table header must start with a key name"
    static let brace = "unexpected '}'"
    static let deep = "nested deeper than 64 levels"
    static let dotted = Array(repeating: "a", count: 100_000).joined(separator: ".")

    /// Inputs that aborted (toml++ assertion, SIGABRT), overflowed the stack (SIGSEGV) or were
    /// silently cut at a NUL.
    public static let crashing: [Case] = [
        Case("header-dot", "[.x]\n", line: 1, header),
        Case("header-slash", "a = 1\n[ /x]\n", line: 2, header),
        Case("header-non-ascii", "[general]\n[ é]\n", line: 2, header),
        Case("array-of-tables-equals", "[[=]]\n", line: 1, header),
        Case("array-brace", "a = [\"x\",}\"y\"]\n", line: 1, brace),
        Case("array-brace-first", "a = [}]\n", line: 1, brace),
        Case("array-brace-after-comment", "a = [\n  # c\n}]\n", line: 3, brace),
        Case("array-brace-in-inline-table", "a = { b = [}] }\n", line: 1, brace),
        Case("dotted-key-100000", dotted + " = 1\n", line: 1, deep),
        Case("dotted-header-100000", "# deep\n[" + dotted + "]\n", line: 2, deep),
        Case("dotted-array-of-tables-100000", "[[" + dotted + "]]\n", line: 1, deep),
        Case("dotted-key-in-inline-table", "x = { " + dotted + " = 1 }\n", line: 1, deep),
        Case("arrays-100000", "x = " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n", line: 1, deep),
        Case("inline-tables-100000", "x = " + String(repeating: "{a=", count: 100_000) + "1" + String(repeating: "}", count: 100_000) + "\n", line: 1, deep),
        Case("date-lone-digit", "a = 2020-01-01 0\n", line: 1, "a date followed by a lone digit"),
        Case("date-lone-digit-in-array", "[package]\nv = [\n  1979-05-27 7,\n]\n", line: 3, "a date followed by a lone digit"),
        Case("date-lone-digit-fuzz", "[pk]\nv= 9020-13-4= 0\r13-4= ", line: 2, "a date followed by a lone digit"),
        Case("nul-byte", "a = 1\n\u{0}b = 2\n", line: 2, "NUL byte"),
        Case("nul-escape", "a = \"x\\u0000y\"\n", line: 1, "\\u0000"),
        Case("nul-escape-long-in-key", "\"a\\U00000000\" = 1\n", line: 1, "\\u0000"),
        Case("nul-escape-multiline", "a = \"\"\"\nx\\u0000\"\"\"\n", line: 2, "\\u0000"),
    ]

    /// Ordinary malformed documents (the TOML library reports them; listed to show every kind
    /// ends in a clear error).
    public static let ordinary: [Case] = [
        Case("invalid-utf8-string", [UInt8]("a = \"".utf8) + [0xFF, 0x22, 0x0A], line: 1, "not valid UTF-8"),
        Case("invalid-utf8-comment", [UInt8]("a = 1\n# ".utf8) + [0xC3, 0x28, 0x0A], line: 2, "not valid UTF-8"),
        Case("truncated-string", "a = \"abc", line: 1, "end-of-file"),
        Case("truncated-multiline-string", "a = \"\"\"abc\n", line: 1, "end-of-file"),
        Case("truncated-header", "[general\nprompt = false\n", line: 1, "expected ']'"),
        Case("truncated-array", "a = [1, 2", line: 1, "end-of-file"),
        Case("truncated-inline-table", "a = { b = 1", line: 1, "end-of-file"),
        Case("huge-integer", "a = 99999999999999999999999\n", line: 1, "not representable in 64 bits"),
        Case("huge-float", "a = 1e99999\n", line: 1, "could not be interpreted"),
        Case("invalid-date", "a = 2021-13-45\n", line: 1, "month"),
        Case("invalid-date-time", "a = 2021-02-30T25:61:61Z\n", line: 1, "day"),
        Case("invalid-offset", "a = 1979-05-27T07:32:00+25:00\n", line: 1, "hour"),
        Case("duplicate-key", "a = 1\na = 2\n", line: 2, "cannot redefine"),
        Case("duplicate-table", "[a]\nb = 1\n[a]\n", line: 3, "cannot redefine"),
        Case("table-over-value", "[a]\nb = 1\n[a.b]\n", line: 3, "cannot redefine"),
        Case("array-as-array-of-tables", "a = [1]\n[[a]]\n", line: 2, "cannot redefine"),
        Case("inline-table-extended", "a = { b = 1 }\n[a]\nc = 1\n", line: 2, "cannot redefine"),
        Case("non-ascii-bare-key", "é = 1\n", line: 1, "non-ASCII"),
        Case("missing-key", "= 1\n", line: 1, "expected keys"),
        Case("missing-value", "a =\n", line: 1, "expected value"),
        Case("two-pairs-on-a-line", "a = 1 b = 2\n", line: 1, "expected a comment or whitespace"),
        Case("header-extra-bracket", "[a]]\n", line: 1, "expected a comment or whitespace"),
        Case("dangling-comma-inline-table", "a = { b = 1, }\n", line: 1, brace),
        Case("surrogate-escape", "a = \"\\ud800\"\n", line: 1, "surrogates"),
        Case("escape-beyond-unicode", "a = \"\\U0011FFFF\"\n", line: 1, "U+10FFFF"),
        Case("bad-hexadecimal", "a = 0x\n", line: 1, "hexadecimal"),
    ]

    /// Every case.
    public static let all = crashing + ordinary
}
