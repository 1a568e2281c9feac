/// The environment block: `KEY=VALUE\n` lines of ASCII in a zeroed, page-aligned 64 KiB buffer.
/// Writing past the end silently truncates, as upstream does.
struct EnvironmentBlock {
    static let capacity = 64 * 1024

    let storage: UnsafeMutableRawBufferPointer
    /// Bytes used so far (`env_size`).
    private(set) var count = 0

    init() {
        storage = PhysicalMemory.allocate(Self.capacity, for: "environment")
    }

    var address: UInt64 { bits(storage.baseAddress) }

    /// Appends `KEY=VALUE\n`.
    mutating func set(_ key: StaticString, _ value: Message) {
        var line: [UInt8] = []
        line.append(key)
        line.append(UInt8(ascii: "="))
        line += value.bytes
        line.append(0x0A)
        for byte in line where count < Self.capacity {
            storage[count] = byte
            count += 1
        }
    }

    /// Appends `KEY=<16 lowercase hex digits>\n`, the format of every numeric value.
    mutating func set(_ key: StaticString, hex value: UInt64) {
        set(key, "\(hex: value, width: 16)")
    }
}
