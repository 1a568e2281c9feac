/// How far a copy (archive or clone) has come.
public struct CopyProgress: Equatable, Sendable {
    /// Entries stored so far (directories, files, links).
    public var entries = 0
    /// Content bytes copied so far.
    public var bytes: UInt64 = 0

    public init(entries: Int = 0, bytes: UInt64 = 0) {
        self.entries = entries
        self.bytes = bytes
    }
}
