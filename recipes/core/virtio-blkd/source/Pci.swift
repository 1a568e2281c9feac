// PCI configuration space through the legacy mechanism #1 (ports 0xCF8/0xCFC), bus 0.

import RedoxRuntime

/// A PCI function's address (segment 0).
struct PciAddress: Equatable {
    let bus: UInt8
    let device: UInt8
    let function: UInt8

    private func select(_ offset: UInt8) {
        let value = UInt32(0x8000_0000) | UInt32(bus) << 16 | UInt32(device) << 11 | UInt32(function) << 8 | UInt32(offset & 0xFC)
        portOut32(0xCF8, value)
    }

    func read32(_ offset: UInt8) -> UInt32 {
        select(offset)
        return portIn32(0xCFC)
    }

    func write32(_ offset: UInt8, _ value: UInt32) {
        select(offset)
        portOut32(0xCFC, value)
    }

    /// `BB:DD.F` in hex, as lspci prints it.
    var text: [UInt8] { hex(bus) + [0x3A] + hex(device) + [0x2E] + hex(function, digits: 1) }

    /// The disk scheme's name for this function (kernel.md §4.3): `disk.pci-0000-BB-DD.F_virtio_blk`.
    var schemeName: [UInt8] {
        bytes("disk.pci-0000-") + hex(bus) + [0x2D] + hex(device) + [0x2E] + hex(function, digits: 1) + bytes("_virtio_blk")
    }

    /// Parses `BB:DD.F` (hex).
    init?(text: [UInt8]) {
        var fields: [UInt32] = [0]
        for character in text {
            if character == 0x3A || character == 0x2E {
                fields.append(0)
                continue
            }
            guard let digit = hexDigit(character), fields[fields.count - 1] < 0x100 else { return nil }
            fields[fields.count - 1] = fields[fields.count - 1] * 16 + digit
        }
        guard fields.count == 3, fields[0] < 256, fields[1] < 32, fields[2] < 8 else { return nil }
        self.init(bus: UInt8(fields[0]), device: UInt8(fields[1]), function: UInt8(fields[2]))
    }

    init(bus: UInt8, device: UInt8, function: UInt8) {
        self.bus = bus
        self.device = device
        self.function = function
    }

    /// Every function on bus 0 with `vendor` and one of `devices`.
    static func find(vendor: UInt16, devices: [UInt16]) -> [PciAddress] {
        var found: [PciAddress] = []
        for device in UInt8(0)..<32 {
            for function in UInt8(0)..<8 {
                let address = PciAddress(bus: 0, device: device, function: function)
                let id = address.read32(0)
                if id & 0xFFFF == 0xFFFF {
                    if function == 0 { break }
                    continue
                }
                if UInt16(id & 0xFFFF) == vendor && devices.contains(UInt16(id >> 16)) { found.append(address) }
                // Single-function devices answer on function 0 only.
                if function == 0 && (address.read32(0x0C) >> 16) & 0x80 == 0 { break }
            }
        }
        return found
    }
}

func hexDigit(_ character: UInt8) -> UInt32? {
    switch character {
    case 0x30...0x39: return UInt32(character - 0x30)
    case 0x61...0x66: return UInt32(character - 0x61 + 10)
    case 0x41...0x46: return UInt32(character - 0x41 + 10)
    default: return nil
    }
}

func hex(_ value: UInt8, digits: Int = 2) -> [UInt8] {
    let table = Array("0123456789abcdef".utf8)
    return digits == 1 ? [table[Int(value & 15)]] : [table[Int(value >> 4)], table[Int(value & 15)]]
}
