// The errno values the engine reports, as Linux numbers them (Redox uses the same numbers). The
// portable engine imports no C library; the hosted layer and the FUSE mount pass these through.

/// The errno numbers the engine reports.
public enum POSIXCode {
    public static let EPERM: Int32 = 1
    public static let ENOENT: Int32 = 2
    public static let EIO: Int32 = 5
    public static let EBADF: Int32 = 9
    public static let EEXIST: Int32 = 17
    public static let ENOTDIR: Int32 = 20
    public static let EISDIR: Int32 = 21
    public static let EINVAL: Int32 = 22
    public static let EFBIG: Int32 = 27
    public static let ENOSPC: Int32 = 28
    public static let EROFS: Int32 = 30
    public static let EMLINK: Int32 = 31
    public static let ENAMETOOLONG: Int32 = 36
    public static let ENOTEMPTY: Int32 = 39
    public static let ENOKEY: Int32 = 126
    public static let EKEYREJECTED: Int32 = 129
}
