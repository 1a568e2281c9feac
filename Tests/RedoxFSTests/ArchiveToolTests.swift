import Foundation
import Glibc
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSTools
import RedoxFSTestSupport
import Testing

/// redoxfs-ar and redoxfs-mkfs as programs: round trips of a generated tree (plain and
/// encrypted), refusal of unstorable trees without touching the image, the summary lines.
@Suite struct ArchiveToolTests {
    /// The generated tree, made once per test run and removed when the process exits.
    static let tree: Result<String, HostTestTree.Failure> = {
        let folder = treeFolder(getpid())
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let root = folder + "/tree"
        atexit { try? FileManager.default.removeItem(atPath: ArchiveToolTests.treeFolder(getpid())) }
        do {
            try HostTestTree.generate(at: root)
            return .success(root)
        } catch {
            return .failure(HostTestTree.Failure(description: "\(error)"))
        }
    }()

    static func treeFolder(_ pid: pid_t) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("redoxfs-tools-tree-\(pid)").path
    }

    /// A fresh folder under the temporary directory.
    static func scratch(_ label: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("redoxfs-tools-\(label)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String, error: String) {
        let result = try Fixtures.run(Fixtures.tool(tool), arguments, input: input.map { Data($0.utf8) })
        return (result.status, String(decoding: result.output, as: UTF8.self), String(decoding: result.error, as: UTF8.self))
    }

    @Test(arguments: [false, true])
    func roundTrip(encrypted: Bool) throws {
        let root = try Self.tree.get()
        let folder = Self.scratch("ar")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let image = folder + "/ar.img"
        var arguments = ["--size", "96MiB", image, root]
        if encrypted {
            try Data("correct horse\n".utf8).write(to: URL(fileURLWithPath: folder + "/pw"))
            arguments = ["--password-file", folder + "/pw"] + arguments
        }
        let result = try Self.run("redoxfs-ar", arguments)
        #expect(result.status == 0, "redoxfs-ar failed: \(result.error)")
        #expect(result.output.hasPrefix("redoxfs-ar: created filesystem on \(image), reserved 0 blocks, size 100 MB, uuid "))
        #expect(result.error.isEmpty, "a progress bar or message appeared off a terminal: \(result.error)")

        let fs = try FileSystem(path: image, readOnly: true, password: encrypted ? Fixtures.password : nil)
        defer { fs.close() }
        #expect(fs.isEncrypted == encrypted)
        let differences = TreeListing.differences(expected: try TreeListing.host(root), actual: try TreeListing.image(fs))
        #expect(differences.isEmpty, "the image differs from the tree:\n\(differences.joined(separator: "\n"))")
        try SpaceInvariant.check(fs)

        // Holes stay holes: the sparse file and the zero file hold (almost) no records.
        #expect(try fs.node(fs.lookup("/zeros-1MiB.bin")).blocks == 1)
        #expect(try fs.node(fs.lookup("/sparse-8MiB.bin")).blocks <= 8)
        // The log was squashed at the end, and the file is cut to whole blocks.
        #expect(try FileManager.default.attributesOfItem(atPath: image)[.size] as? UInt64 == 96 << 20)
    }

    @Test func refusesUnstorableTreesWithoutWriting() throws {
        let folder = Self.scratch("bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tree = folder + "/tree"
        try HostTestTree.makeDirectory(tree, 0o755)
        try HostTestTree.writeFile(tree + "/fine.txt", Array("fine\n".utf8))
        try HostTestTree.writeFile(tree + "/has:colon", [])
        try HostTestTree.makeDirectory(tree + "/sub", 0o755)
        try HostTestTree.writeFile(tree + "/sub/" + String(repeating: "x", count: 253), [])
        let invalid = tree + "/sub/bad-\u{FFFD}"
        let rawName = Array((tree + "/sub/bad-").utf8) + [0xFF, 0xFE, 0]
        let fd = rawName.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644) }
        }
        #expect(fd >= 0)
        close(fd)
        #expect(mkfifo(tree + "/fifo", 0o644) == 0)  // storable: FIFOs are nodes of their own

        // An existing image with a file system and a file in it.
        let image = folder + "/disk.img"
        #expect(try Self.run("redoxfs-mkfs", ["--size", "16MiB", image]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: image))

        let result = try Self.run("redoxfs-ar", [image, tree])
        #expect(result.status != 0)
        #expect(result.error.contains("3 paths cannot be stored; nothing was written"), "\(result.error)")
        #expect(result.error.contains("\(tree)/has:colon: the name contains ':'"))
        #expect(result.error.contains("\(tree)/sub/\(String(repeating: "x", count: 253)): the name is 253 bytes long"))
        #expect(result.error.contains("\(tree)/sub/bad-\\xff\\xfe: the name is not valid UTF-8"), "\(invalid)")
        #expect(!result.error.contains("\(tree)/fifo"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == before, "the image changed")
    }

    @Test func mkfsSummaryAndOtherName() throws {
        let folder = Self.scratch("mkfs")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let image = folder + "/disk.img"
        // The disk must exist unless --size is given.
        let missing = try Self.run("redoxfs-mkfs", [image])
        #expect(missing.status != 0 && missing.error.contains("does not exist"))

        let link = folder + "/mkfs.redoxfs"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Fixtures.tool("redoxfs-mkfs"))
        let bootloader = folder + "/boot.bin"
        try Data(repeating: 0xEB, count: 5000).write(to: URL(fileURLWithPath: bootloader))
        let result = try Fixtures.run(link, ["--size", "20MB", image, bootloader])
        let output = String(decoding: result.output, as: UTF8.self)
        #expect(result.status == 0, "\(String(decoding: result.error, as: UTF8.self))")
        #expect(output.hasPrefix("mkfs.redoxfs: created filesystem on \(image), reserved 2 blocks, size 19 MB, uuid "))
        let fs = try FileSystem(path: image)
        defer { fs.close() }
        #expect(fs.startBlock == 2)
        #expect(try fs.entries(of: RedoxFS.rootNodeID).isEmpty)
        try SpaceInvariant.check(fs)
    }
}
