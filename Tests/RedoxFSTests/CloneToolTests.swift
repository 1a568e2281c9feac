import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSTestSupport
import Testing

/// redoxfs-clone: the clone of a fixture lists the same tree (ids, blocks and uuid aside).
@Suite struct CloneToolTests {
    /// The manifest lines without the columns a clone may change (node id, blocks, inline, and
    /// the root's ctime, which is the new file system's creation time).
    static func comparable(_ fs: FileSystem) throws -> [String] {
        try Manifest(fileSystem: fs, imageName: "x").entries.map { entry in
            var entry = entry
            entry.nodeID = 0
            entry.blocks = 0
            entry.inline = false
            if entry.path == "/" { entry.ctime = .init(seconds: 0, nanoseconds: 0) }
            return entry.line
        }
    }

    @Test(arguments: [false, true])
    func cloneOfEncryptedFixture(encryptDestination: Bool) throws {
        let folder = ArchiveToolTests.scratch("clone")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = try Fixtures.image("ar-encrypted-lib")
        let destination = folder + "/clone.img"
        let password = folder + "/pw"
        try Data("correct horse\n".utf8).write(to: URL(fileURLWithPath: password))
        var arguments = ["--password-file", password, "--size", "40MiB", source, destination]
        if encryptDestination { arguments += ["--new-password-file", password] }
        let result = try ArchiveToolTests.run("redoxfs-clone", arguments)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.hasPrefix("redoxfs-clone: created filesystem on \(destination)\n\treserved: 0 blocks\n\tuuid: "))

        let original = try Fixtures.open("ar-encrypted-lib")
        defer { original.close() }
        let clone = try FileSystem(path: destination, password: encryptDestination ? Fixtures.password : nil)
        defer { clone.close() }
        #expect(clone.isEncrypted == encryptDestination)
        #expect(clone.uuidString != original.uuidString)
        let expected = try Self.comparable(original), actual = try Self.comparable(clone)
        #expect(expected.count == actual.count)
        for (a, b) in zip(expected, actual) where a != b {
            Issue.record("differs:\n  \(a)\n  \(b)")
            break
        }
        try SpaceInvariant.check(clone)
    }
}
