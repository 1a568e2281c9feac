/// A point in time: seconds and nanoseconds since the epoch.
public struct Timestamp: Equatable, Hashable, Sendable {
    public var seconds: UInt64
    public var nanoseconds: UInt32

    public init(seconds: UInt64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }
}
