#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Host file names as raw bytes: what RedoxFS can store, how to show them, how to pass them to C.
public enum HostName {
    /// Why `name` cannot be a RedoxFS directory entry, or nil when it can.
    public static func problem(_ name: [UInt8]) -> String? {
        if name.count > RedoxFS.maxNameLength {
            return "the name is \(name.count) bytes long; RedoxFS names hold at most \(RedoxFS.maxNameLength) bytes"
        }
        if String(validating: name, as: UTF8.self) == nil {
            return "the name is not valid UTF-8"
        }
        if name.contains(0x3A) {
            return "the name contains ':', which RedoxFS reserves (Redox uses it to separate the scheme)"
        }
        return nil
    }

    /// `name` for messages: UTF-8 as is, other bytes as `\xNN`.
    public static func display(_ name: [UInt8]) -> String {
        if let text = String(validating: name, as: UTF8.self) { return text }
        var text = ""
        for byte in name {
            if byte >= 0x20 && byte < 0x7F {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = String(byte, radix: 16)
                text += "\\x" + (digits.count < 2 ? "0" : "") + digits
            }
        }
        return text
    }

    /// Runs `body` with `name` as a NUL-terminated C string.
    static func withCString<T>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        let chars = name.map { CChar(bitPattern: $0) } + [0]
        return body(chars)
    }
}
