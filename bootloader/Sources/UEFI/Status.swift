/// An EFI_STATUS: zero for success, the high bit set for errors.
struct Status: Equatable, Error {
    let rawValue: UInt64

    private static let errorBit: UInt64 = 1 << 63

    static let success = Status(rawValue: 0)
    static let loadError = error(1)
    static let invalidParameter = error(2)
    static let unsupported = error(3)
    static let bufferTooSmall = error(5)
    static let notReady = error(6)
    static let deviceError = error(7)
    static let outOfResources = error(9)
    static let noMedia = error(12)
    static let notFound = error(14)

    private static func error(_ code: UInt64) -> Status {
        Status(rawValue: errorBit | code)
    }

    var isError: Bool { rawValue & Self.errorBit != 0 }

    /// Throws `self` when it is an error.
    func check() throws(Status) {
        if isError { throw self }
    }

    /// A short name for messages.
    var name: StaticString {
        switch self {
        case .success: "success"
        case .loadError: "load error"
        case .invalidParameter: "invalid parameter"
        case .unsupported: "unsupported"
        case .bufferTooSmall: "buffer too small"
        case .notReady: "not ready"
        case .deviceError: "device error"
        case .outOfResources: "out of resources"
        case .noMedia: "no media"
        case .notFound: "not found"
        default: "firmware error"
        }
    }
}
