// Decoding and checking the entry table against the header.

/// The parsed head of a package: header and entries, with the entry table's hash checked.
public struct PackageHeadContents: Sendable {
    public let header: PackageHeader
    public let entries: [PackageEntry]

    /// Decodes the entry table following the header in `bytes` and checks its BLAKE3.
    /// The signature must have been checked by the caller (see `PackageReader`).
    public init(header: PackageHeader, headBytes bytes: [UInt8]) throws(PkgarError) {
        let tableSize = Int(header.count) * PackageEntry.size
        let end = PackageHeader.size + tableSize
        guard bytes.count >= end else { throw .truncated(what: "entry table", needed: end, available: bytes.count) }
        let table = Array(bytes[PackageHeader.size..<end])
        let actual = Blake3.hash(table)
        guard actual == header.blake3 else {
            throw .invalidBlake3(what: "entry table", expected: Hex.encode(header.blake3), actual: Hex.encode(actual))
        }
        var entries: [PackageEntry] = []
        entries.reserveCapacity(Int(header.count))
        for index in 0..<Int(header.count) {
            entries.append(try PackageEntry(bytes: table, at: index * PackageEntry.size))
        }
        self.header = header
        self.entries = entries
    }
}
