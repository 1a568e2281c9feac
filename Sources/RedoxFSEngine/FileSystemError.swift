import RedoxFSFormat

/// An error of the engine: a format problem found on disk, a failing system call, or a request
/// that cannot be carried out.
public enum FileSystemError: Error, Equatable {
    case format(FormatError)
    case system(operation: String, path: String, errno: Int32)
    case invalidArgument(String)
    /// The newest generation's tree cannot be read; `newestIntact` is the newest older generation
    /// whose whole tree verifies, if any.
    case damagedGeneration(generation: UInt64, cause: FormatError, newestIntact: UInt64?)

    /// The errno a POSIX caller (FUSE) would see.
    public var errno: Int32 {
        switch self {
        case .format(let error): return error.errno
        case .system(_, _, let code): return code
        case .invalidArgument: return POSIXCode.EINVAL
        case .damagedGeneration: return POSIXCode.EIO
        }
    }
}

extension FormatError {
    /// The errno a POSIX caller would see.
    public var errno: Int32 {
        switch self {
        case .io(_, let code): return code == 0 ? POSIXCode.EIO : code
        case .notFound, .noSuchNode: return POSIXCode.ENOENT
        case .notDirectory: return POSIXCode.ENOTDIR
        case .passwordRequired, .wrongPassword: return POSIXCode.ENOKEY
        case .notEncrypted: return POSIXCode.EKEYREJECTED
        default: return POSIXCode.EIO
        }
    }
}
