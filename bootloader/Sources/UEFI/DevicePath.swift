/// A UEFI device path: a sequence of nodes (type, subtype, 16-bit length) ended by an end node.
struct DevicePath {
    /// The bytes of the path, end node excluded.
    let bytes: [UInt8]

    /// Node type 0x7F ends a path.
    private static let endType: UInt8 = 0x7F
    private static let messagingType: UInt8 = 0x03
    private static let uartSubtype: UInt8 = 0x0E

    /// Reads the path at `pointer` up to its first end node.
    init(at pointer: UnsafeRawPointer) {
        var bytes: [UInt8] = []
        var node = pointer
        while node.load(as: UInt8.self) != Self.endType {
            let length = Int(node.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            guard length >= 4 else { break }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: node, count: length))
            node += length
        }
        self.bytes = bytes
    }

    /// The device path installed on `handle`, if any.
    init?(of handle: UInt64, bootServices: BootServices) {
        guard let pointer = bootServices.interface(.devicePath, on: handle) else { return nil }
        self.init(at: pointer)
    }

    /// Byte offsets of the nodes.
    private var nodeOffsets: [Int] {
        var offsets: [Int] = []
        var at = 0
        while at + 4 <= bytes.count {
            offsets.append(at)
            at += Int(bytes[at + 2]) | Int(bytes[at + 3]) << 8
        }
        return offsets
    }

    /// Whether `self` is `other` with exactly one more node appended (a partition of a disk).
    func isChild(of other: DevicePath) -> Bool {
        let offsets = nodeOffsets
        guard offsets.count == other.nodeOffsets.count + 1 else { return false }
        return bytes.count > other.bytes.count && bytes[0..<other.bytes.count].elementsEqual(other.bytes)
    }

    /// Whether any node of the multi-instance path list `list` is a UART (a serial console).
    static func listContainsUART(_ list: [UInt8]) -> Bool {
        var at = 0
        while at + 4 <= list.count {
            let length = Int(list[at + 2]) | Int(list[at + 3]) << 8
            if list[at] == messagingType && list[at + 1] == uartSubtype { return true }
            guard length >= 4 else { return false }
            at += length
        }
        return false
    }
}
