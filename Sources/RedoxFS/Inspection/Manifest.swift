import RedoxFSFormat

/// One path of a manifest: what `redoxfs-dump` prints for it.
public struct ManifestEntry: Equatable, Codable, Sendable {
    public var path: String
    /// "d", "f", "l", "s" (socket), "p" (FIFO), "c" or "b" (character or block device).
    public var type: String
    public var mode: UInt16
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var links: UInt32
    public var nodeID: UInt32
    public var blocks: UInt64
    public var inline: Bool
    /// Directories: the hash-tree depth, or nil when the directory never held an entry.
    public var htreeLevels: Int?
    public var mtime: Timestamp
    public var ctime: Timestamp
    /// SHA-256 of the content or symlink target; nil for directories.
    public var sha256: String?
    /// The symlink target (decoded as UTF-8 with replacement); nil otherwise.
    public var symlinkTarget: String?
    /// A device node's number as "major,minor" (shown in the text's target column); nil otherwise.
    public var device: String?

    /// Seconds and nanoseconds since the epoch.
    public struct Timestamp: Equatable, Codable, Sendable {
        public var seconds: UInt64
        public var nanoseconds: UInt32
        public var text: String {
            let ns = String(nanoseconds)
            return "\(seconds)." + String(repeating: "0", count: max(0, 9 - ns.count)) + ns
        }
    }

    /// The tab-separated manifest line.
    public var line: String {
        let octal = String(mode, radix: 8)
        let columns: [String] = [
            Manifest.escape(path), type, String(repeating: "0", count: max(0, 4 - octal.count)) + octal,
            String(uid), String(gid), String(size), String(links), String(nodeID), String(blocks),
            inline ? "1" : "0",
            type == "d" ? (htreeLevels.map(String.init) ?? "none") : "-",
            mtime.text, ctime.text, sha256 ?? "-", symlinkTarget.map(Manifest.escape) ?? device ?? "-",
        ]
        return columns.joined(separator: "\t")
    }
}

/// A listing of every path of a file system, in the format of the fixture manifests.
public struct Manifest: Codable, Sendable {
    public var imageName: String
    public var uuid: String
    public var version: UInt64
    public var generation: UInt64
    public var fsSize: UInt64
    public var reservedBlocks: UInt64
    public var encrypted: Bool
    public var entries: [ManifestEntry]

    public static let columns =
        "path type mode uid gid size links node_id blocks inline htree_levels mtime ctime sha256 symlink_target"

    /// The manifest text, header lines included, each line ending in a newline.
    public var text: String {
        var lines = [
            "# redoxfs image \(imageName)",
            "# uuid \(uuid)",
            "# version \(version) generation \(generation) fs_size \(fsSize) reserved_blocks \(reservedBlocks) encrypted \(encrypted)",
            "# columns: \(Self.columns)",
        ]
        lines.append(contentsOf: entries.map(\.line))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Escapes backslash and control characters as the manifests do.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let digits = String(scalar.value, radix: 16)
                    out += "\\x" + (digits.count < 2 ? "0" : "") + digits
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Walks `fileSystem` depth-first with children sorted by name bytes.
    public init(fileSystem: FileSystem, imageName: String) throws(FileSystemError) {
        self.imageName = imageName
        uuid = fileSystem.uuidString
        version = fileSystem.header.version
        generation = fileSystem.header.generation
        fsSize = fileSystem.header.size
        reservedBlocks = fileSystem.startBlock
        encrypted = fileSystem.isEncrypted
        entries = []
        var visited: Set<UInt32> = []
        try walk(fileSystem, id: RedoxFS.rootNodeID, path: "/", visited: &visited, depth: 0)
    }

    private mutating func walk(
        _ fs: FileSystem, id: UInt32, path: String, visited: inout Set<UInt32>, depth: Int
    ) throws(FileSystemError) {
        let node = try fs.node(id)
        entries.append(try Self.entry(fs, id: id, node: node, path: path))
        guard node.isDirectory else { return }
        guard depth < 4096, visited.insert(id).inserted else {
            throw .format(.malformed(.dirList, block: 0, .cycle))
        }
        let children = try fs.entries(of: id).sorted { $0.name.lexicographicallyPrecedes($1.name) }
        for child in children {
            let name = String(decoding: child.name, as: UTF8.self)
            try walk(fs, id: child.nodeID, path: path == "/" ? "/" + name : path + "/" + name, visited: &visited, depth: depth + 1)
        }
    }

    static func entry(_ fs: FileSystem, id: UInt32, node: Node, path: String) throws(FileSystemError) -> ManifestEntry {
        let type: String
        switch node.kind {
        case .directory: type = "d"
        case .symlink: type = "l"
        case .socket: type = "s"
        case .fifo: type = "p"
        case .characterDevice: type = "c"
        case .blockDevice: type = "b"
        case .file, nil: type = "f"
        }
        var device: String?
        if node.kind?.isDevice == true {
            let number = try fs.deviceNumber(of: node)
            device = "\(number.major),\(number.minor)"
        }
        var htree: Int?
        if node.isDirectory {
            let marker = node.levelPointer(0)
            htree = marker.isMarker ? Int(marker.markerDepth) : nil
        }
        var sha: String?
        var target: String?
        if node.isSymlink {
            let bytes = try fs.readLink(id)
            sha = SHA256Digest.hex(bytes)
            target = String(decoding: bytes, as: UTF8.self)
        } else if !node.isDirectory {
            sha = try contentDigest(fs, node: node)
        }
        return ManifestEntry(
            path: path, type: type, mode: node.permissions, uid: node.uid, gid: node.gid, size: node.size,
            links: node.links, nodeID: id, blocks: node.blocks, inline: node.hasInlineData, htreeLevels: htree,
            mtime: .init(seconds: node.mtime, nanoseconds: node.mtimeNanoseconds),
            ctime: .init(seconds: node.ctime, nanoseconds: node.ctimeNanoseconds),
            sha256: sha, symlinkTarget: target, device: device)
    }

    static func contentDigest(_ fs: FileSystem, node: Node) throws(FileSystemError) -> String {
        var digest = SHA256Digest()
        try fs.forEachChunk(of: node) { chunk, _ in digest.update(chunk) }
        return digest.finalizeHex()
    }
}
