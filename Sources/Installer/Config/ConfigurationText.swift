/// Checks made on a configuration's text before the TOML library sees it. TOML allows non-ASCII
/// characters only inside strings and comments; toml++ (inside TOMLKit 0.6.0) stops on an
/// assertion for some of them in keys and table headers, so they are refused here with a clear
/// error instead (found by the InstallerConfig fuzz target).
enum ConfigurationText {
    private enum State { case normal, comment, basic, literal, multilineBasic, multilineLiteral }

    /// Throws for a NUL byte or a non-ASCII character outside strings and comments.
    static func check(_ text: String, file: String) throws(InstallerError) {
        let bytes = Array(text.utf8)
        var state = State.normal
        var line = 1, column = 0
        var index = 0
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
                if state == .comment || state == .basic || state == .literal { state = .normal }
                index += 1
                continue
            }
            switch state {
            case .normal:
                if byte >= 0x80 {
                    throw .configuration(file: file, "line \(line), column \(column): a non-ASCII character outside a string or comment")
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
