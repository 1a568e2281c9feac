#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a host tool stopped.
struct ToolError: Error, CustomStringConvertible {
    /// What went wrong, for the user.
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Whole-file reads and writes through the C library (the host tools do not use Foundation).
enum HostFile {
    /// Reads the whole file at `path`.
    static func read(_ path: String) throws(ToolError) -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw ToolError("cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        guard ferror(file) == 0 else { throw ToolError("cannot read \(path)") }
        return bytes
    }

    /// Writes `bytes` to `path`, replacing it.
    static func write(_ bytes: [UInt8], to path: String) throws(ToolError) {
        guard let file = fopen(path, "wb") else { throw ToolError("cannot create \(path)") }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard fclose(file) == 0, written == bytes.count else { throw ToolError("cannot write \(path)") }
    }

    /// The size of the file at `path`.
    static func size(_ path: String) throws(ToolError) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ToolError("cannot stat \(path)") }
        return UInt64(info.st_size)
    }
}
