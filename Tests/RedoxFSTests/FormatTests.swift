import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// mkfs output against the spec's golden images (§16.5).
@Suite struct FormatTests {
    static let uuid: [UInt8] = (0xA0...0xAF).map { UInt8($0) }
    static let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)

    static func blockDigest(_ bytes: [UInt8], _ block: Int) -> String {
        String(SHA256Digest.hex(Array(bytes[block * 4096..<(block + 1) * 4096])).prefix(32))
    }

    @Test func unencryptedGoldenImage() throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device, options: FormatOptions(uuid: Self.uuid, time: Self.time))
        #expect(fs.header.generation == 3)
        #expect(SHA256Digest.hex(device.bytes) == "8bfccf296b52881236e37c1df072d6dfe995e1859ca6b834c601a1014fcf53fa")
        #expect(fs.header.storedHash == 0x727328F037D1B270)
    }

    @Test func encryptedGoldenImage() throws {
        let device = MemoryDevice(blockCount: 4096)
        var options = FormatOptions(password: Array("password".utf8), uuid: Self.uuid, time: Self.time)
        options.keyMaterial = ((1...16).map { UInt8($0) }, (0x11...0x20).map { UInt8($0) }, (0x21...0x30).map { UInt8($0) })
        let fs = try FileSystem.format(device: device, options: options)
        let expected: [Int: String] = [
            1: "02ccb9249edd1d53ed2bc4fbe26d950e", 2: "fd4c2baac990c4711d4c45816e973005",
            3: "337d79b42760c471f34dd160f2d460a9", 257: "4944cffd7c6402207867d9860c4a2884",
            258: "d2d2cf15947131c6a806f2407e4a22c7", 259: "30c9ff6c8a9361e7ab842bebd1acdefc",
            260: "e561e317dfc90f986600c55d7106ef8f", 261: "734fd70bd9b745978ae9d2318b3a8764",
            262: "cb8cb17f4609060f4df9fe05303bd064", 263: "02f92c5b8db10d84fc812cc9a787a034",
            264: "9147cdde4936528fdbf6bcda2a1f03f3",
        ]
        let bytes = device.bytes
        for (block, digest) in expected { #expect(Self.blockDigest(bytes, block) == digest, "block \(block)") }
        // Unlike upstream, slot 0 holds a valid header (so explicit-block opens work at once).
        let slot0 = Header(block: Array(bytes[0..<4096]))
        #expect(slot0.isValid)
        #expect(fs.header.storedHash == 0x07A7B8C013CCB849)
        let reopened = try FileSystem(device: device, startBlock: 0, password: Array("password".utf8))
        #expect(reopened.header.generation == 3)
    }

    @Test func tooSmallDeviceIsRefused() {
        #expect(throws: FileSystemError.self) { try FileSystem.format(device: MemoryDevice(blockCount: 200)) }
    }
}
