import RedoxFS

/// Why a check could not be carried out at all (fsck exit status 8, or 32 when cancelled). Damage
/// found inside a file system is never thrown: it is reported as `Problem`s.
public enum CheckError: Error, Equatable, CustomStringConvertible {
    /// The device could not be opened or read.
    case device(FileSystemError)
    /// No valid RedoxFS header was found where the file system should start.
    case noFileSystem
    /// The file system is encrypted and no password was given.
    case passwordRequired
    /// No key slot accepts the password.
    case wrongPassword
    /// A password was given but the file system is not encrypted.
    case notEncrypted
    /// The caller cancelled the check.
    case cancelled
    /// A repair was started but could not be committed (nothing was written).
    case repairFailed(String)

    public var description: String {
        switch self {
        case .device(let error): return error.description
        case .noFileSystem:
            return "no valid RedoxFS header found (not a RedoxFS file system, or every header slot is damaged)"
        case .passwordRequired: return "the file system is encrypted: a password is required"
        case .wrongPassword: return "wrong password: no key slot accepts it"
        case .notEncrypted: return "a password was given but the file system is not encrypted"
        case .cancelled: return "cancelled"
        case .repairFailed(let why): return "repair failed: \(why)"
        }
    }
}
