// The loader's live-mode variables (bootloader.md §10): DISK_LIVE_ADDR and DISK_LIVE_SIZE, 16
// hex digits each, read from the loader's environment block at /scheme/sys/env.

import RedoxRuntime

/// Where the loader put the volume's copy.
struct LiveRegion {
    var address: UInt64
    var size: UInt64

    /// Why there is no region to serve.
    enum Problem {
        case absent
        case malformed
    }

    /// The region named by `environment` (`KEY=VALUE` lines).
    static func parse(_ environment: [UInt8]) -> Result<LiveRegion, ProblemError> {
        let address = value(of: bytes("DISK_LIVE_ADDR"), in: environment)
        let size = value(of: bytes("DISK_LIVE_SIZE"), in: environment)
        guard let address, let size else { return .failure(ProblemError(problem: .absent)) }
        guard let addressValue = hexadecimal(address), let sizeValue = hexadecimal(size),
              addressValue & 0xFFF == 0, sizeValue > 0, sizeValue <= 1 << 40 else {
            return .failure(ProblemError(problem: .malformed))
        }
        return .success(LiveRegion(address: addressValue, size: sizeValue))
    }

    static func value(of key: [UInt8], in environment: [UInt8]) -> [UInt8]? {
        for line in environment.split(separator: 0x0A) {
            let entry = Array(line)
            if entry.count > key.count, Array(entry[0..<key.count]) == key, entry[key.count] == 0x3D {
                return Array(entry[(key.count + 1)...])
            }
        }
        return nil
    }

    /// A hexadecimal number of 1...16 digits (no `0x`), or nil.
    static func hexadecimal(_ text: [UInt8]) -> UInt64? {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        var value: UInt64 = 0
        for digit in text {
            let nibble: UInt8
            switch digit {
            case 0x30...0x39: nibble = digit - 0x30
            case 0x61...0x66: nibble = digit - 0x61 + 10
            case 0x41...0x46: nibble = digit - 0x41 + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}

/// A `LiveRegion.Problem` as an error value.
struct ProblemError: Error {
    var problem: LiveRegion.Problem
}
