/// The device number of a character or block device node, kept as the node's content the way
/// a symbolic link keeps its target: 8 bytes, the major then the minor number, each a
/// little-endian u32 (stored inline: size 8, record level 0).
public struct DeviceNumber: Equatable, Hashable, Sendable {
    /// Bytes of content a device node holds.
    public static let contentSize = 8

    public var major: UInt32
    public var minor: UInt32

    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    /// The number in a device node's content, or nil when the content is not 8 bytes.
    public init?(content: [UInt8]) {
        guard content.count == Self.contentSize else { return nil }
        major = content.le32(at: 0)
        minor = content.le32(at: 4)
    }

    /// The number in `node`'s inline content (how every device node is written), or nil when the
    /// node keeps no 8 inline bytes (read its content then).
    public init?(inlineContentOf node: Node) {
        guard node.hasInlineData, node.size == UInt64(Self.contentSize) else { return nil }
        self.init(content: Array(node.data[0..<Self.contentSize]))
    }

    /// The number in the inline content of the node `view` reads in place (see `init(inlineContentOf:)`).
    public init?(inlineContentOf view: NodeView) {
        guard view.hasInlineData, view.size == UInt64(Self.contentSize) else { return nil }
        self.init(content: view.inlineBytes(Self.contentSize))
    }

    /// The content of a device node with this number.
    public var content: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.contentSize)
        bytes.storeLE32(major, at: 0)
        bytes.storeLE32(minor, at: 4)
        return bytes
    }

    /// The number as Linux's 64-bit `dev_t` encodes it (glibc's `makedev`).
    public var linuxValue: UInt64 {
        let major = UInt64(self.major), minor = UInt64(self.minor)
        return (major & 0xFFF) << 8 | (major & ~0xFFF) << 32 | (minor & 0xFF) | (minor & ~0xFF) << 12
    }

    /// The major and minor numbers of a Linux `dev_t` (glibc's `major` and `minor`).
    public init(linuxValue value: UInt64) {
        major = UInt32(truncatingIfNeeded: (value >> 8) & 0xFFF | (value >> 32) & ~0xFFF)
        minor = UInt32(truncatingIfNeeded: value & 0xFF | (value >> 12) & ~0xFF)
    }
}
