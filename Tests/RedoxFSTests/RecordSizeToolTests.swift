import Foundation
@testable import RedoxFS
import RedoxFSEngine
import RedoxFSTestSupport
import Testing

/// `redoxfs-ar --record-size` gives every regular file that record size, `redoxfs-clone` keeps
/// each file's record size, and a bad size is refused before DISK is touched.
@Suite struct RecordSizeToolTests {
    static func regularFileLevels(_ fs: FileSystem) throws -> [String: UInt32] {
        var levels: [String: UInt32] = [:]
        var pending: [(UInt32, String)] = [(RedoxFS.rootNodeID, "")]
        while let (id, path) = pending.popLast() {
            for entry in try fs.entries(of: id) {
                let name = path + "/" + String(decoding: entry.name, as: UTF8.self)
                let node = try fs.node(entry.nodeID)
                if node.isDirectory { pending.append((entry.nodeID, name)) }
                if node.kind == .file { levels[name] = node.recordLevel }
            }
        }
        return levels
    }

    @Test func archiveAndCloneWithSmallRecords() throws {
        let root = try ArchiveToolTests.tree.get()
        let folder = ArchiveToolTests.scratch("recordsize")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let image = folder + "/ar.img"
        let result = try ArchiveToolTests.run("redoxfs-ar", ["--record-size", "8k", "--size", "96MiB", image, root])
        #expect(result.status == 0, "redoxfs-ar failed: \(result.error)")

        let fs = try FileSystem(path: image, readOnly: true)
        let differences = TreeListing.differences(expected: try TreeListing.host(root), actual: try TreeListing.image(fs))
        #expect(differences.isEmpty, "the image differs from the tree:\n\(differences.joined(separator: "\n"))")
        let levels = try Self.regularFileLevels(fs)
        #expect(!levels.isEmpty)
        #expect(levels.values.allSatisfy { $0 == 1 }, "\(levels.filter { $0.value != 1 }.prefix(5))")
        try SpaceInvariant.check(fs)
        fs.close()

        let copy = folder + "/clone.img"
        let cloned = try ArchiveToolTests.run("redoxfs-clone", ["--size", "96MiB", image, copy])
        #expect(cloned.status == 0, "redoxfs-clone failed: \(cloned.error)")
        let clone = try FileSystem(path: copy, readOnly: true)
        defer { clone.close() }
        #expect(try Self.regularFileLevels(clone) == levels, "the clone keeps each file's record size")
        #expect(TreeListing.differences(expected: try TreeListing.host(root), actual: try TreeListing.image(clone)).isEmpty)
    }

    @Test func badRecordSizeIsRefused() throws {
        let root = try ArchiveToolTests.tree.get()
        let folder = ArchiveToolTests.scratch("recordsize-bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try ArchiveToolTests.run("redoxfs-ar", ["--record-size", "12k", "--size", "96MiB", folder + "/x.img", root])
        #expect(result.status != 0)
        #expect(result.error.contains("--record-size takes 4k"), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/x.img"))
    }
}
