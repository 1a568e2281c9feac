// Errors of the pkgar library (format, signing, transactions, key files, state).

/// Everything that can go wrong reading, writing or installing a pkgar package.
public enum PkgarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before a structure was complete.
    case truncated(what: String, needed: Int, available: Int)
    /// The header's signature does not verify against the trusted public key.
    case invalidSignature
    /// The header names a public key other than the trusted one.
    case invalidKey(embedded: String, trusted: String)
    /// A BLAKE3 hash differs (entry table or an entry's data).
    case invalidBlake3(what: String, expected: String, actual: String)
    /// A length differs from the one recorded.
    case lengthMismatch(what: String, expected: UInt64, actual: UInt64)
    /// A mode with bits outside 0o177777 or a kind other than regular file or symlink.
    case invalidMode(path: String, mode: UInt32)
    /// An entry path that is empty, absolute, has `.`/`..` components, or is too long.
    case invalidPath(path: String, reason: String)
    /// An entry would be written through a symbolic link.
    case pathThroughSymlink(path: String, link: String)
    /// The entry's data lies outside the data part.
    case dataOutOfRange(path: String)
    /// LZMA2 encoding or decoding failed.
    case compression(String)
    /// A key file is malformed or cannot be decrypted.
    case invalidKeyFile(path: String, reason: String)
    /// A wrong passphrase for an encrypted secret key.
    case wrongPassphrase
    /// A system call failed.
    case io(path: String, operation: String, message: String)
    /// A TOML document (metadata, repository index, state) is malformed.
    case invalidDocument(path: String, reason: String)
    /// A file to remove or verify is missing.
    case missingFile(path: String)
    /// A file that cannot be packaged (directory entries are implicit; devices, sockets… refused).
    case unsupportedFileKind(path: String)

    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            return "truncated \(what): needs \(needed) bytes, \(available) available"
        case .invalidSignature:
            return "invalid signature: the package header is not signed by the trusted key (or was altered)"
        case let .invalidKey(embedded, trusted):
            return "invalid key: the package is signed by \(embedded), the trusted key is \(trusted)"
        case let .invalidBlake3(what, expected, actual):
            return "invalid BLAKE3 of \(what): expected \(expected), found \(actual)"
        case let .lengthMismatch(what, expected, actual):
            return "length mismatch of \(what): expected \(expected), found \(actual)"
        case let .invalidMode(path, mode):
            return "invalid mode 0o\(String(mode, radix: 8)) of \(path)"
        case let .invalidPath(path, reason):
            return "invalid entry path \"\(path)\": \(reason)"
        case let .pathThroughSymlink(path, link):
            return "refusing to write \"\(path)\" through the symbolic link \"\(link)\""
        case let .dataOutOfRange(path):
            return "the data of \(path) lies outside the archive"
        case let .compression(message):
            return "LZMA2: \(message)"
        case let .invalidKeyFile(path, reason):
            return "invalid key file \(path): \(reason)"
        case .wrongPassphrase:
            return "wrong passphrase for the secret key"
        case let .io(path, operation, message):
            return "\(operation) \(path): \(message)"
        case let .invalidDocument(path, reason):
            return "invalid \(path): \(reason)"
        case let .missingFile(path):
            return "missing file \(path)"
        case let .unsupportedFileKind(path):
            return "cannot package \(path): only regular files and symbolic links are stored"
        }
    }
}
