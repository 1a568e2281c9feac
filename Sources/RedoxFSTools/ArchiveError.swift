#if canImport(Glibc)
import Glibc
#endif
import RedoxFS

/// A host path the file system cannot store, and why.
public struct ArchiveProblem: Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Why copying a tree into a file system (archive or clone) failed.
public enum ArchiveError: Error, Equatable, CustomStringConvertible {
    /// Paths that cannot be stored, found before anything was written; `total` counts them all
    /// (the list may be cut short).
    case unstorable([ArchiveProblem], total: Int)
    /// A system call on the host failed for `path`.
    case host(operation: String, path: String, errno: Int32)
    /// The engine failed while storing (or, for a clone, reading) `path`.
    case engine(path: String, FileSystemError)

    public var description: String {
        switch self {
        case .unstorable(let problems, let total):
            var lines = ["\(total) path\(total == 1 ? "" : "s") cannot be stored; nothing was written:"]
            lines += problems.map { "  \($0)" }
            if total > problems.count { lines.append("  … and \(total - problems.count) more") }
            return lines.joined(separator: "\n")
        case .host(let operation, let path, let code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .engine(let path, let error):
            return "\(path): \(error)"
        }
    }
}
