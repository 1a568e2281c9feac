// The one way into TOMLKit for every TOML document we read: installer configurations and their
// includes, recipes, package metadata, key files, repository indexes. TOMLKit 0.6.0 (over toml++
// 3.4) crashes the process on some malformed input (see TOMLPrecheck for the classes and why), so
// the text is checked first and every failure becomes a `TOMLLoadError` naming the file, line and
// column. Files are read only when they are regular files of sane size (a FIFO would block the
// open, /dev/zero would never end) and valid UTF-8.
import Glibc
import TOMLKit

/// Why a TOML document could not be loaded.
public struct TOMLLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or name) of the document.
    public let file: String
    /// The 1-based line and column, when known.
    public let line: Int?
    public let column: Int?
    /// What is wrong.
    public let reason: String

    /// `line L, column C: reason`, without the file (for errors that name it themselves).
    public var located: String {
        guard let line else { return reason }
        guard let column else { return "line \(line): \(reason)" }
        return "line \(line), column \(column): \(reason)"
    }

    public var description: String { file + ": " + located }
}

/// Reads and parses TOML documents without letting malformed input crash the process.
public enum TOMLLoader {
    /// Larger files are refused (the documents we read are a few KiB).
    public static let maximumSize = 16 << 20

    /// The text of the TOML file at `path`: a regular file of at most `maximumSize` bytes, valid
    /// UTF-8 (a leading byte-order mark is dropped).
    public static func readText(_ path: String) throws(TOMLLoadError) -> String {
        func failure(_ reason: String, line: Int? = nil, column: Int? = nil) -> TOMLLoadError {
            TOMLLoadError(file: path, line: line, column: column, reason: reason)
        }
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw failure("cannot open: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("cannot inspect: \(String(cString: strerror(errno)))") }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw failure("a directory, not a TOML file")
        default: throw failure("not a regular file")
        }
        guard info.st_size <= maximumSize else { throw failure("larger than \(maximumSize >> 20) MiB; not a TOML document") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= maximumSize {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        guard bytes.count <= maximumSize else { throw failure("larger than \(maximumSize >> 20) MiB; not a TOML document") }
        return try text(bytes, file: path)
    }

    /// `bytes` as text: valid UTF-8 (the first invalid byte is located), a leading byte-order
    /// mark dropped.
    public static func text(_ bytes: [UInt8], file: String) throws(TOMLLoadError) -> String {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let body = bytes[start...]
        if let text = String(validating: body, as: UTF8.self) { return text }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = body.makeIterator()
        var offset = start
        var line = 1, column = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(scalar):
                if scalar.count == 1 && scalar.first == 0x0A { line += 1; column = 1 } else { column += 1 }
                offset += scalar.count
            case .error, .emptyInput:
                throw TOMLLoadError(file: file, line: line, column: column, reason: "not valid UTF-8 (byte \(offset) of the file)")
            }
        }
    }

    /// Reads and parses the TOML file at `path`.
    public static func load(_ path: String) throws(TOMLLoadError) -> TOMLTable {
        try parse(readText(path), file: path)
    }

    /// Parses `text`; `file` names the document in errors. A syntax error names its line and
    /// column; inputs the TOML library would crash on are refused before it sees them.
    public static func parse(_ text: String, file: String) throws(TOMLLoadError) -> TOMLTable {
        var text = text
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        if let problem = TOMLPrecheck.problem(in: text) {
            throw TOMLLoadError(file: file, line: problem.line, column: problem.column, reason: problem.message)
        }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLLoadError(file: file, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        } catch {
            throw TOMLLoadError(file: file, line: nil, column: nil, reason: "\(error)")
        }
    }
}
