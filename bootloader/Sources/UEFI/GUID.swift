/// A UEFI GUID in its in-memory layout (the first three fields little-endian).
struct GUID: Equatable {
    var data1: UInt32
    var data2: UInt16
    var data3: UInt16
    var data4: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    init(_ data1: UInt32, _ data2: UInt16, _ data3: UInt16,
         _ data4: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) {
        self.data1 = data1
        self.data2 = data2
        self.data3 = data3
        self.data4 = data4
    }

    /// Reads a GUID stored at `pointer`.
    init(at pointer: UnsafeRawPointer) {
        self = pointer.loadUnaligned(as: GUID.self)
    }

    static func == (a: GUID, b: GUID) -> Bool {
        withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    }

    /// Calls `body` with a pointer to a copy of the GUID, for firmware calls that take one.
    func withAddress<R>(_ body: (UInt64) -> R) -> R {
        withUnsafeBytes(of: self) { body(bits($0.baseAddress)) }
    }

    static let loadedImage = GUID(0x5B1B_31A1, 0x9562, 0x11D2, (0x8E, 0x3F, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B))
    static let devicePath = GUID(0x0957_6E91, 0x6D3F, 0x11D2, (0x8E, 0x39, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B))
    static let blockIO = GUID(0x964E_5B21, 0x6459, 0x11D2, (0x8E, 0x39, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B))
    static let graphicsOutput = GUID(0x9042_A9DE, 0x23DC, 0x4A38, (0x96, 0xFB, 0x7A, 0xDE, 0xD0, 0x80, 0x51, 0x6A))
    static let globalVariable = GUID(0x8BE4_DF61, 0x93CA, 0x11D2, (0xAA, 0x0D, 0x00, 0xE0, 0x98, 0x03, 0x2B, 0x8C))
    static let cpuArchitecture = GUID(0x26BA_CCB1, 0x6F42, 0x11D4, (0xBC, 0xE7, 0x00, 0x80, 0xC7, 0x3C, 0x88, 0x81))
    static let acpi20Table = GUID(0x8868_E871, 0xE4F1, 0x11D3, (0xBC, 0x22, 0x00, 0x80, 0xC7, 0x3C, 0x88, 0x81))
    static let deviceTree = GUID(0xB1B6_21D5, 0xF19C, 0x41A5, (0x83, 0x0B, 0xD9, 0x15, 0x2C, 0x69, 0xAA, 0xE0))
    static let acpi10Table = GUID(0xEB9D_2D30, 0x2D88, 0x11D3, (0x9A, 0x16, 0x00, 0x90, 0x27, 0x3F, 0xC1, 0x4D))
}
