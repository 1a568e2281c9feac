import Foundation
import RedoxFS
import RedoxFSTestSupport
import Testing

/// Every upstream fixture, dumped by the engine, equals its manifest byte for byte.
@Suite struct FixtureReadTests {
    @Test(arguments: Fixtures.images.map(\.name))
    func dumpMatchesManifest(name: String) throws {
        let fs = try Fixtures.open(name)
        defer { fs.close() }
        let manifest = try Manifest(fileSystem: fs, imageName: "\(name).img")
        let expected = try Fixtures.manifest(name)
        // Split into lines (slow in a debug build: megabytes of manifest) only to name a difference.
        guard manifest.text != expected else { return }
        let actualLines = manifest.text.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDifference = Array(zip(actualLines, expectedLines)).firstIndex { $0.0 != $0.1 }
        #expect(firstDifference == nil, "first difference at line \(firstDifference.map { $0 + 1 } ?? 0): \(firstDifference.map { "\(actualLines[$0])\n vs \(expectedLines[$0])" } ?? "")")
        #expect(actualLines.count == expectedLines.count)
        #expect(manifest.text == expected)
    }

    @Test func encryptedImageNeedsPassword() throws {
        #expect(throws: FileSystemError.format(.passwordRequired)) {
            try FileSystem(path: try Fixtures.image("ar-encrypted-lib"))
        }
    }

    @Test func wrongPasswordIsRefused() throws {
        #expect(throws: FileSystemError.format(.wrongPassword)) {
            try FileSystem(path: try Fixtures.image("mkfs-empty-encrypted"), password: Array("wrong horse".utf8))
        }
    }

    @Test func passwordOnPlainImageIsRefused() throws {
        #expect(throws: FileSystemError.format(.notEncrypted)) {
            try FileSystem(path: try Fixtures.image("mkfs-empty"), password: Fixtures.password)
        }
    }

    @Test func readsAtOffsets() throws {
        let fs = try Fixtures.open("ar")
        defer { fs.close() }
        let id = try fs.lookup("/big-20MiB.bin")
        let whole = try fs.read(id, at: 0, count: 20 << 20)
        #expect(whole.count == 20 << 20)
        for offset in [0, 1, 4095, 131071, 131072, 16 << 20, (20 << 20) - 10] {
            let part = try fs.read(id, at: UInt64(offset), count: 300_000)
            let end = min(offset + 300_000, whole.count)
            #expect(part == Array(whole[offset..<end]))
        }
        #expect(try fs.read(id, at: 21 << 20, count: 10).isEmpty)
        let sparse = try fs.read(fs.lookup("/sparse-8MiB.bin"), at: (3 << 20) + 100, count: 10000)
        #expect(sparse.contains { $0 != 0 })
        #expect(try fs.read(fs.lookup("/sparse-8MiB.bin"), at: 1 << 20, count: 4096) == [UInt8](repeating: 0, count: 4096))
    }

    @Test func lookupErrors() throws {
        let fs = try Fixtures.open("ar")
        defer { fs.close() }
        #expect(throws: FileSystemError.format(.notFound)) { try fs.lookup("/no/such/file") }
        #expect(throws: FileSystemError.format(.notDirectory)) { try fs.lookup("/one/below") }
        #expect(try fs.readLink(fs.lookup("/links/abs")) == Array("/etc/hostname".utf8))
    }
}

/// Opening with an explicit start block, as the bootloader does.
@Suite struct ExplicitStartBlockTests {
    @Test func encryptedFreshImageOpensAtBlockZero() throws {
        // Upstream leaves slot 0 invalid on a fresh encrypted file system; we still find the ring.
        let fs = try FileSystem(path: try Fixtures.image("mkfs-empty-encrypted"), startBlock: 0, password: Fixtures.password)
        #expect(fs.header.generation == 3)
        #expect(fs.startBlock == 0)
    }

    @Test func wrongStartBlockFindsNothing() {
        #expect(throws: FileSystemError.format(.noValidHeader)) {
            try FileSystem(path: try Fixtures.image("mkfs-empty"), startBlock: 300)
        }
    }
}
