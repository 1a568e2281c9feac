/// A GUID as GPT stores it: 16 bytes, the first three groups little-endian.
public struct GUID: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The on-disk bytes.
    public let bytes: [UInt8]

    /// The GUID written as `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (nil if malformed).
    public init?(_ text: String) {
        let hex = Array(text.utf8.filter { $0 != UInt8(ascii: "-") })
        guard hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        for i in 0..<16 {
            guard let byte = UInt8(String(decoding: hex[2 * i..<2 * i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        bytes[0..<4].reverse()
        bytes[4..<6].reverse()
        bytes[6..<8].reverse()
        self.bytes = bytes
    }

    /// A version-4 GUID whose random bits are the first 16 bytes of `randomBytes` (in the
    /// textual byte order).
    public init(version4From randomBytes: [UInt8]) {
        precondition(randomBytes.count >= 16)
        var bytes = Array(randomBytes.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        bytes[0..<4].reverse()
        bytes[4..<6].reverse()
        bytes[6..<8].reverse()
        self.bytes = bytes
    }

    public var description: String {
        var text = bytes
        text[0..<4].reverse()
        text[4..<6].reverse()
        text[6..<8].reverse()
        let hex = text.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }

    /// BIOS boot partition.
    public static let biosBoot = GUID("21686148-6449-6E6F-744E-656564454649")!
    /// EFI System partition.
    public static let efiSystem = GUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")!
    /// Linux file-system data (what upstream uses for RedoxFS; there is no Redox type yet).
    public static let linuxData = GUID("0FC63DAF-8483-4772-8E79-3D69D8477DE4")!
}
