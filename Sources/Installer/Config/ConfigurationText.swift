/// Checks made on a configuration's text before the TOML library sees it. TOML allows non-ASCII
/// characters only inside strings and comments; toml++ (inside TOMLKit 0.6.0) stops on an
/// assertion for some of them in keys and table headers, so they are refused here with a clear
/// error instead, as are table headers that do not start with a key (`[/x]`, `[.a]`: another
/// toml++ assertion), and a `}` right after `[` or `,` (a third one; never valid TOML). All found
/// by the InstallerConfig fuzz target.
enum ConfigurationText {
    private enum State { case normal, comment, basic, literal, multilineBasic, multilineLiteral }

    /// Throws for a NUL byte or a non-ASCII character outside strings and comments.
    static func check(_ text: String, file: String) throws(InstallerError) {
        let bytes = Array(text.utf8)
        var state = State.normal
        var line = 1, column = 0
        var index = 0
        var atLineStart = true
        var lastSignificant: UInt8 = 0
        func isKeyStart(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
        }
        func starts(_ pattern: String, at position: Int) -> Bool {
            let p = Array(pattern.utf8)
            return position + p.count <= bytes.count && Array(bytes[position..<position + p.count]) == p
        }
        while index < bytes.count {
            let byte = bytes[index]
            column += 1
            if byte == 0 { throw .configuration(file: file, "NUL byte at line \(line)") }
            if byte == 0x0A {
                line += 1
                column = 0
                atLineStart = true
                if state == .comment || state == .basic || state == .literal { state = .normal }
                index += 1
                continue
            }
            switch state {
            case .normal:
                if byte >= 0x80 {
                    throw .configuration(file: file, "line \(line), column \(column): a non-ASCII character outside a string or comment")
                }
                let wasAtLineStart = atLineStart
                if byte != 0x20 && byte != 0x09 && byte != 0x0D { atLineStart = false }
                if byte == UInt8(ascii: "}") && (lastSignificant == UInt8(ascii: "[") || lastSignificant == UInt8(ascii: ",")) {
                    throw .configuration(file: file, "line \(line), column \(column): unexpected '}'")
                }
                if byte != 0x20 && byte != 0x09 && byte != 0x0D && byte != UInt8(ascii: "#") { lastSignificant = byte }
                if wasAtLineStart && byte == UInt8(ascii: "[") {
                    var next = index + 1
                    if next < bytes.count && bytes[next] == UInt8(ascii: "[") { next += 1 }
                    while next < bytes.count && (bytes[next] == 0x20 || bytes[next] == 0x09) { next += 1 }
                    guard next < bytes.count, isKeyStart(bytes[next]) else {
                        throw .configuration(file: file, "line \(line): a table header must start with a key name")
                    }
                }
                if byte == UInt8(ascii: "#") {
                    state = .comment
                } else if starts("\"\"\"", at: index) {
                    state = .multilineBasic
                    index += 2
                } else if starts("'''", at: index) {
                    state = .multilineLiteral
                    index += 2
                } else if byte == UInt8(ascii: "\"") {
                    state = .basic
                } else if byte == UInt8(ascii: "'") {
                    state = .literal
                }
            case .comment:
                break
            case .basic:
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { state = .normal }
            case .literal:
                if byte == UInt8(ascii: "'") { state = .normal }
            case .multilineBasic:
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if starts("\"\"\"", at: index) {
                    state = .normal
                    index += 2
                }
            case .multilineLiteral:
                if starts("'''", at: index) {
                    state = .normal
                    index += 2
                }
            }
            index += 1
        }
    }
}
