// Finding the root volume (kernel.md §4.4): every scheme named `disk` or `disk.*` (`disk.live`
// first), every entry of its listing (`N`, `NpM`), the header ring expected at REDOXFS_BLOCK; the
// first volume whose UUID matches wins.

import RedoxFSFormat
import RedoxRuntime

enum VolumeSearch {
    /// A volume found: its device, the newest header and where its ring starts.
    struct Found {
        var disk: SchemeDisk
        var location: HeaderRing.Location
    }

    /// The disk schemes, `disk.live` first, then in listing order.
    static func diskSchemes() -> [[UInt8]] {
        guard let listing = readFile(bytes("/scheme")) else { return [] }
        var live: [[UInt8]] = []
        var others: [[UInt8]] = []
        for name in lines(listing) {
            if name == bytes("disk.live") {
                live.append(name)
            } else if name == bytes("disk") || (name.count > 5 && Array(name[0..<5]) == bytes("disk.")) {
                others.append(name)
            }
        }
        return live + others
    }

    /// The volume with `uuid` whose ring starts at `block`, or nil (with a line per device that
    /// failed for another reason than holding no RedoxFS).
    static func find(uuid: [UInt8], block: UInt64) -> Found? {
        for scheme in diskSchemes() {
            let base = bytes("/scheme/") + scheme
            guard let listing = readFile(base) else {
                say("redoxfs: cannot list ", .bytes(base))
                continue
            }
            for entry in lines(listing) {
                let path = base + [0x2F] + entry
                guard var disk = SchemeDisk(path: path) else { continue }
                do throws(FormatError) {
                    let location = try HeaderRing.locate(on: &disk, startBlock: block, deviceBlocks: disk.blockCount)
                    if location.header.uuid == uuid { return Found(disk: disk, location: location) }
                } catch {
                    if error != .noValidHeader {
                        say("redoxfs: ", .bytes(path), ": ", .bytes(describe(error)))
                    }
                }
                disk.close()
            }
        }
        return nil
    }

    static func lines(_ text: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in text {
            if byte == 0x0A {
                if !current.isEmpty { result.append(current) }
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}

/// Parses `8-4-4-4-12` hex into 16 bytes, or nil.
func parseUUID(_ text: [UInt8]) -> [UInt8]? {
    var digits: [UInt8] = []
    for character in text where character != 0x2D {
        guard let value = hexValue(character) else { return nil }
        digits.append(value)
    }
    guard digits.count == 32, text.count == 36 else { return nil }
    var bytes: [UInt8] = []
    for index in stride(from: 0, to: 32, by: 2) { bytes.append(digits[index] << 4 | digits[index + 1]) }
    return bytes
}

/// Parses hex digits (an optional `0x` prefix), or nil.
func parseHex(_ text: [UInt8]) -> UInt64? {
    var digits = text[...]
    if digits.count > 2, digits.first == 0x30, digits.dropFirst().first == 0x78 { digits = digits.dropFirst(2) }
    guard !digits.isEmpty, digits.count <= 16 else { return nil }
    var value: UInt64 = 0
    for character in digits {
        guard let digit = hexValue(character) else { return nil }
        value = value << 4 | UInt64(digit)
    }
    return value
}

func hexValue(_ character: UInt8) -> UInt8? {
    switch character {
    case 0x30...0x39: character - 0x30
    case 0x61...0x66: character - 0x57
    case 0x41...0x46: character - 0x37
    default: nil
    }
}

/// The UUID as lowercase `8-4-4-4-12`.
func uuidText(_ uuid: [UInt8]) -> [UInt8] {
    var text: [UInt8] = []
    for (index, byte) in uuid.enumerated() {
        if index == 4 || index == 6 || index == 8 || index == 10 { text.append(0x2D) }
        for nibble in [byte >> 4, byte & 0xF] { text.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble) }
    }
    return text
}
