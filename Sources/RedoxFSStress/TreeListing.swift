import RedoxFS

/// A canonical listing of a tree (path, type, permissions, owner, size, content hash, link
/// target, link count), comparable between a model and a file system.
public enum TreeListing {
    /// One line of the listing.
    public static func line(
        path: String, kind: String, permissions: UInt16, uid: UInt32, gid: UInt32, content: [UInt8], links: Int
    ) -> String {
        "\(path) \(kind) \(String(permissions, radix: 8)) \(uid):\(gid) \(content.count) \(String(SeaHash.hash(content), radix: 16)) \(links)"
    }

    /// The listing of `fs`'s working tree.
    public static func of(_ fs: FileSystem) throws -> [String] {
        var lines: [String] = []
        var seen: Set<UInt32> = []
        func walk(_ id: UInt32, _ path: String) throws {
            let node = try fs.node(id)
            let kind = node.isDirectory ? "d" : node.isSymlink ? "l" : "f"
            let content = node.isDirectory ? [] : try fs.read(id, at: 0, count: Int(node.size))
            lines.append(line(path: path, kind: kind, permissions: node.permissions, uid: node.uid, gid: node.gid,
                              content: content, links: node.isDirectory ? 1 : Int(node.links)))
            guard node.isDirectory, seen.insert(id).inserted else { return }
            for entry in try fs.entries(of: id).sorted(by: { $0.name.lexicographicallyPrecedes($1.name) }) {
                try walk(entry.nodeID, path + "/" + String(decoding: entry.name, as: UTF8.self))
            }
        }
        try walk(RedoxFS.rootNodeID, "")
        return lines
    }
}
