import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// Adding, removing, changing and listing passwords of an encrypted file system, in the engine
/// and through redoxfs-keys.
@Suite struct KeySlotTests {
    static let first = Array("first password".utf8)
    static let second = Array("second".utf8)
    static let third = Array("third one".utf8)

    static func open(_ device: MemoryDevice, _ password: [UInt8]) throws -> FileSystem {
        try FileSystem(device: device, password: password, writable: true)
    }

    /// Every valid header of the ring that `password` unlocks.
    static func ringHeadersOpened(by password: [UInt8], on device: MemoryDevice) -> [UInt64] {
        var opened: [UInt64] = []
        for slot in 0..<Int(RedoxFS.headerRing) {
            let header = Header(block: Array(device.bytes[slot * RedoxFS.blockSize..<(slot + 1) * RedoxFS.blockSize]))
            guard header.isValid, header.isEncrypted else { continue }
            if (try? header.unlock(password: password, deriveKey: Sodium.argon2id(password:salt:))) != nil {
                opened.append(header.generation)
            }
        }
        return opened
    }

    @Test func addChangeRemove() throws {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device, options: FormatOptions(password: Self.first))
        let id = try fs.create(Array("data".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        let data = WritePathTests.pattern(300_000, seed: 11)
        try fs.write(id, at: 0, data)
        try fs.sync()
        #expect(fs.usedKeySlots == [0])
        #expect(fs.keySlot(opening: Self.first) == 0)

        // Add: one commit; the data blocks are not rewritten (no re-encryption).
        let generation = fs.header.generation
        let contentBlocks = try fs.blockUsage().users.filter { $0.value.contains(.content(id)) }.keys.sorted()
        #expect(contentBlocks.count > 2)
        func contentBytes() -> [[UInt8]] {
            contentBlocks.map { Array(device.bytes[Int($0) * RedoxFS.blockSize..<Int($0 + 1) * RedoxFS.blockSize]) }
        }
        let before = contentBytes()
        #expect(try fs.addPassword(Self.second) == 1)
        #expect(fs.header.generation == generation + 1)
        #expect(contentBytes() == before)
        #expect(fs.usedKeySlots == [0, 1])
        #expect(throws: FileSystemError.self) { try fs.addPassword(Self.first) }  // already there
        for password in [Self.first, Self.second] {
            let again = try Self.open(device, password)
            #expect(try again.read(id, at: 0, count: data.count) == data)
            try SpaceInvariant.check(again)
        }

        // Change slot 0: the old password no longer opens the image, nor any header of the ring.
        try fs.changePassword(inSlot: 0, to: Self.third)
        #expect(throws: FileSystemError.format(.wrongPassword)) { try Self.open(device, Self.first) }
        #expect(Self.ringHeadersOpened(by: Self.first, on: device).isEmpty)
        #expect(try Self.open(device, Self.third).read(id, at: 0, count: 10) == Array(data[0..<10]))
        #expect(fs.keySlot(opening: Self.third) == 0)

        // Remove slot 1; the last slot cannot go.
        try fs.removeKeySlot(1)
        #expect(fs.usedKeySlots == [0])
        #expect(throws: FileSystemError.format(.wrongPassword)) { try Self.open(device, Self.second) }
        #expect(Self.ringHeadersOpened(by: Self.second, on: device).isEmpty)
        #expect(throws: FileSystemError.self) { try fs.removeKeySlot(0) }
        #expect(throws: FileSystemError.self) { try fs.removeKeySlot(5) }
        #expect(throws: FileSystemError.self) { try fs.changePassword(inSlot: 7, to: Self.first) }

        // A slot chosen by number, past empty ones.
        #expect(try fs.addPassword(Self.second, slot: 9) == 9)
        let last = try Self.open(device, Self.second)
        #expect(last.usedKeySlots == [0, 9])
        #expect(try last.read(id, at: 0, count: data.count) == data)
        try SpaceInvariant.check(last)
    }

    @Test func unencryptedHasNoSlots() throws {
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 1024))
        #expect(fs.usedKeySlots.isEmpty)
        #expect(throws: FileSystemError.self) { try fs.addPassword(Self.first) }
    }

    @Test func commandLine() throws {
        let folder = ArchiveToolTests.scratch("keys")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let image = folder + "/disk.img"
        func file(_ name: String, _ text: String) throws -> String {
            try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
            return folder + "/" + name
        }
        let a = try file("a", "alpha\n"), b = try file("b", "bravo\n"), c = try file("c", "charlie\n")
        #expect(try ArchiveToolTests.run("redoxfs-mkfs", ["--size", "8MiB", "--password-file", a, image]).status == 0)

        var result = try ArchiveToolTests.run("redoxfs-keys", ["add", "--password-file", a, "--new-password-file", b, image])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("added a password in key slot 1"))
        // Standard input: the current password, then the new one.
        result = try ArchiveToolTests.run("redoxfs-keys", ["change", image], input: "bravo\ncharlie\n")
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("changed the password of key slot 1"))
        result = try ArchiveToolTests.run("redoxfs-keys", ["list", "--check", "--password-file", c, image])
        #expect(result.output.contains("2 of 64 key slots in use"), "\(result.output)\(result.error)")
        #expect(result.output.contains("slot 1: in use") && result.output.contains("opened by the given password"))
        result = try ArchiveToolTests.run("redoxfs-keys", ["remove", "--password-file", b, image])
        #expect(result.status != 0, "the changed-away password still works")
        result = try ArchiveToolTests.run("redoxfs-keys", ["remove", "--password-file", a, image])
        #expect(result.status == 0 && result.output.contains("removed key slot 0; 1 in use"), "\(result.error)")
        result = try ArchiveToolTests.run("redoxfs-keys", ["remove", "--password-file", c, image])
        #expect(result.status != 0 && result.error.contains("only password"))
        let fs = try FileSystem(path: image, password: Array("charlie".utf8))
        defer { fs.close() }
        #expect(fs.usedKeySlots == [1])
    }
}
