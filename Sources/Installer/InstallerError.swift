#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// Why an installation (or one of its steps) failed; `description` is the message shown.
public enum InstallerError: Error, CustomStringConvertible, Equatable {
    /// A configuration file that cannot be read, parsed or understood.
    case configuration(file: String, String)
    /// Includes that lead back to a file already being loaded.
    case includeCycle([String])
    /// The contents need more space than the image has.
    case noSpace(neededMiB: UInt64, availableMiB: UInt64)
    /// An image or device too small for any install.
    case imageTooSmall(String)
    /// A host file operation failed.
    case host(operation: String, path: String, errno: Int32)
    /// The output cannot be used (mounted, partitioned, not a file or device...).
    case unsafeTarget(String)
    /// A package that cannot be found, verified or installed.
    case package(name: String, String)
    /// A path in the configuration or a package that is not acceptable.
    case invalidPath(String, String)
    /// The engine refused an operation.
    case engine(path: String, String)
    /// Anything else, with its message.
    case other(String)

    public var description: String {
        switch self {
        case .configuration(let file, let message): return "\(file): \(message)"
        case .includeCycle(let chain): return "include cycle: \(chain.joined(separator: " -> "))"
        case .noSpace(let needed, let available):
            return "the contents do not fit: needs \(needed) MiB, the image has \(available) MiB"
        case .imageTooSmall(let message): return message
        case .host(let operation, let path, let code): return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case .unsafeTarget(let message): return message
        case .package(let name, let message): return "package \(name): \(message)"
        case .invalidPath(let path, let message): return "\(path): \(message)"
        case .engine(let path, let message): return "\(path): \(message)"
        case .other(let message): return message
        }
    }

    /// The engine's `error` about `path`; a system error that names `path` itself names it once
    /// (`FileSystemError.message(about:)`).
    static func engine(_ path: String, _ error: FileSystemError) -> InstallerError {
        if case .system(_, let named, _) = error, named == path { return .other(error.message(about: path)) }
        return .engine(path: path, "\(error)")
    }
}
