import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSTestSupport
import Testing

/// Our write path lays directories out as upstream does: replaying an upstream archive's creations
/// in its order (node ids are handed out lowest-free, so id order is creation order) gives the same
/// node ids and, for every directory, the same size, block count and hash-tree depth.
@Suite struct UpstreamLayoutTests {
    @Test(arguments: ["ar-htree2", "ar", "ar-encrypted-lib"])
    func replayedArchiveMatchesDirectoryLayout(image: String) throws {
        let rows = try Fixtures.manifest(image).split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let fs = try FileSystem.format(device: MemoryDevice(blockCount: 16384))
        var ids: [String: UInt32] = ["/": 1]
        for row in rows.sorted(by: { UInt32($0[7])! < UInt32($1[7])! }) where row[0] != "/" {
            let path = row[0]
            let slash = path.lastIndex(of: "/")!
            let parentPath = slash == path.startIndex ? "/" : String(path[..<slash])
            let name = Array(path[path.index(after: slash)...].utf8)
            let type: UInt16 = row[1] == "d" ? 0o040000 : row[1] == "l" ? 0o120000 : 0o100000
            let id = try fs.create(name, in: try #require(ids[parentPath]), mode: type | 0o644, uid: 0, gid: 0)
            #expect(id == UInt32(row[7])!, "\(path): node id \(id), upstream \(row[7])")
            ids[path] = id
        }
        try fs.sync()
        for row in rows where row[1] == "d" {
            let node = try fs.node(try #require(ids[row[0]]))
            let marker = node.levelPointer(0)
            let depth = marker.isMarker ? String(marker.markerDepth) : "none"
            #expect([String(node.size), String(node.blocks), depth] == [row[5], row[8], row[10]], "directory \(row[0])")
        }
    }
}
