// Writing the small TOML documents of pkgar and the cookbook by hand, so their bytes are fixed
// (key order as given, no library formatting changes): reproducible repo.toml and metadata.
import TOMLKit

/// A minimal TOML writer for flat tables of strings, integers, booleans and string arrays.
public struct TOMLText: Sendable {
    /// A value in a document.
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case boolean(Bool)
        case strings([String])
    }

    private(set) var text = ""

    public init() {}

    /// Appends `key = value`.
    public mutating func set(_ key: String, _ value: Value) {
        text += TOMLText.key(key) + " = " + TOMLText.render(value) + "\n"
    }

    /// Appends a `[name]` table header (preceded by a blank line unless first).
    public mutating func table(_ name: [String]) {
        if !text.isEmpty { text += "\n" }
        text += "[" + name.map(TOMLText.key).joined(separator: ".") + "]\n"
    }

    /// The document.
    public var document: String { text }

    static func key(_ key: String) -> String {
        let bare = !key.isEmpty && key.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        return bare ? key : quote(key)
    }

    static func render(_ value: Value) -> String {
        switch value {
        case let .string(string): return quote(string)
        case let .integer(integer): return String(integer)
        case let .boolean(boolean): return boolean ? "true" : "false"
        case let .strings(strings): return "[" + strings.map(quote).joined(separator: ", ") + "]"
        }
    }

    /// A basic TOML string with escapes.
    public static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// Reading helpers over TOMLKit with typed errors naming the document.
public struct TOMLDocument {
    /// The parsed root table.
    public let table: TOMLTable
    /// The document's name (path) for error messages.
    public let name: String

    /// Parses `text` through `TOMLLoader` (never crashing); a syntax error names the line and column.
    public init(text: String, name: String) throws(PkgarError) {
        do {
            table = try TOMLLoader.parse(text, file: name)
        } catch {
            throw .invalidDocument(path: name, reason: error.located)
        }
        self.name = name
    }

    init(table: TOMLTable, name: String) {
        self.table = table
        self.name = name
    }

    /// Reads and parses a file (a regular file of sane size, valid UTF-8).
    public static func load(_ path: String) throws(PkgarError) -> TOMLDocument {
        let text: String
        do {
            text = try TOMLLoader.readText(path)
        } catch {
            throw .invalidDocument(path: path, reason: error.located)
        }
        return try TOMLDocument(text: text, name: path)
    }

    /// An optional string value; present with another type is an error.
    public func string(_ key: String) throws(PkgarError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else { throw .invalidDocument(path: name, reason: "\(key) must be a string") }
        return string
    }

    /// An optional integer value.
    public func integer(_ key: String) throws(PkgarError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let integer = value.int else { throw .invalidDocument(path: name, reason: "\(key) must be an integer") }
        return integer
    }

    /// An optional boolean value.
    public func boolean(_ key: String) throws(PkgarError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let boolean = value.bool else { throw .invalidDocument(path: name, reason: "\(key) must be true or false") }
        return boolean
    }

    /// An optional array of strings.
    public func strings(_ key: String) throws(PkgarError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw .invalidDocument(path: name, reason: "\(key) must be an array of strings") }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else {
                throw .invalidDocument(path: name, reason: "\(key) must contain only strings")
            }
            strings.append(string)
        }
        return strings
    }

    /// An optional sub-table.
    public func table(_ key: String) throws(PkgarError) -> TOMLDocument? {
        guard let value = table[key] else { return nil }
        guard let subtable = value.table else { throw .invalidDocument(path: name, reason: "\(key) must be a table") }
        return TOMLDocument(table: subtable, name: name + " [" + key + "]")
    }

    /// The keys of the table in their order.
    public var keys: [String] { table.keys }

    /// Keys that are not in `known` (for warnings or errors about typos).
    public func unknownKeys(known: Set<String>) -> [String] { keys.filter { !known.contains($0) } }
}

extension TOMLDocument {
    /// A document over an already-parsed table (e.g. an element of an array of tables).
    public init(wrapping table: TOMLTable, name: String) {
        self.init(table: table, name: name)
    }
}
