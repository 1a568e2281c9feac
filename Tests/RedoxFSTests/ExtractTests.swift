import Foundation
import RedoxFS
import RedoxFSTestSupport
import Testing

/// `redoxfs-extract`'s exporter: the tree it writes lists exactly as upstream's source tree.
@Suite struct ExtractTests {
    static func hostListing(_ directory: String) throws -> String {
        let script = Fixtures.directory.appendingPathComponent("tree_manifest.py").path
        let result = try Fixtures.run("/usr/bin/env", ["python3", script, directory])
        #expect(result.status == 0)
        return String(decoding: result.output, as: UTF8.self)
    }

    @Test(arguments: [("ar", "source-tree"), ("ar-encrypted-lib", "source-tree-small")])
    func extractedTreeMatchesSource(image: String, listing: String) throws {
        let fs = try Fixtures.open(image)
        defer { fs.close() }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("extract-\(UUID())").path
        var exporter = TreeExporter(fileSystem: fs)
        try exporter.export(to: target)
        let expected = try String(contentsOf: Fixtures.directory.appendingPathComponent("\(listing).manifest.txt"), encoding: .utf8)
        // The root's own mode comes from mkfs (0755), as in the image.
        #expect(try Self.hostListing(target) == expected)
        // Times are kept: mtime of a file equals the node's.
        let node = try fs.node(fs.lookup("/one"))
        let attributes = try FileManager.default.attributesOfItem(atPath: target + "/one")
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        #expect(abs(mtime - Double(node.mtime) - Double(node.mtimeNanoseconds) / 1e9) < 0.001)
    }

    @Test func hostileNamesAreRefused() {
        #expect(TreeExporter.hostName(Array("..".utf8)) == nil)
        #expect(TreeExporter.hostName(Array(".".utf8)) == nil)
        #expect(TreeExporter.hostName(Array("a/b".utf8)) == nil)
        #expect(TreeExporter.hostName([0x61, 0]) == nil)
        #expect(TreeExporter.hostName(Array("fine name".utf8)) == "fine name")
    }
}
