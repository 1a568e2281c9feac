import RedoxFS

/// Copies the tree of one file system into another (redoxfs-clone): every node with its full
/// mode, owner, ctime, mtime and atime, content in chunks (zero chunks are skipped, so holes stay
/// holes); FIFOs, sockets and device nodes (with their device numbers) too. Unlike upstream it
/// keeps hard links, and gives "/" the source root's metadata.
/// Node ids and block placement are not preserved.
public final class TreeCloner {
    public let source: FileSystem
    public let destination: FileSystem
    /// Called after every entry and every chunk of content.
    public var progress: ((CopyProgress) -> Void)?
    public private(set) var copied = CopyProgress()
    /// The engine's commit threshold for the destination while cloning (see `Archiver`).
    public var commitThresholdBytes = 8 << 20

    private var buffer: [UInt8]
    private var linked: [UInt32: UInt32] = [:]

    public init(source: FileSystem, destination: FileSystem, chunkSize: Int = 4 << 20) {
        self.source = source
        self.destination = destination
        buffer = [UInt8](repeating: 0, count: max(4096, chunkSize))
    }

    /// Counts the source's entries and content bytes (for a progress bar).
    public func measure() throws(ArchiveError) -> CopyProgress {
        var total = CopyProgress()
        var stack: [UInt32] = [RedoxFS.rootNodeID]
        var seen: Set<UInt32> = []
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            for entry in try read("node \(id)", { () throws(FileSystemError) in try source.entries(of: id) }) {
                total.entries += 1
                let node = try read("node \(entry.nodeID)", { () throws(FileSystemError) in try source.node(entry.nodeID) })
                if node.isDirectory { stack.append(entry.nodeID) } else if !node.isSymlink { total.bytes += node.size }
            }
        }
        return total
    }

    /// Copies everything below the source root into the destination root.
    public func clone() throws(ArchiveError) {
        let threshold = destination.commitThresholdBytes
        destination.commitThresholdBytes = commitThresholdBytes
        defer { destination.commitThresholdBytes = threshold }
        try cloneDirectory(RedoxFS.rootNodeID, path: "", into: RedoxFS.rootNodeID, depth: 0)
        let root = try read("/") { () throws(FileSystemError) in try source.node(RedoxFS.rootNodeID) }
        try write("/") { () throws(FileSystemError) in
            try destination.setAttributes(RedoxFS.rootNodeID, Self.times(of: root, permissions: root.permissions, uid: root.uid, gid: root.gid))
        }
    }

    static func times(of node: Node, permissions: UInt16? = nil, uid: UInt32? = nil, gid: UInt32? = nil) -> AttributeChanges {
        AttributeChanges(
            permissions: permissions, uid: uid, gid: gid,
            accessTime: Timestamp(seconds: node.atime, nanoseconds: node.atimeNanoseconds),
            modificationTime: Timestamp(seconds: node.mtime, nanoseconds: node.mtimeNanoseconds),
            changeTime: Timestamp(seconds: node.ctime, nanoseconds: node.ctimeNanoseconds))
    }

    @discardableResult
    private func read<T>(_ path: String, _ body: () throws(FileSystemError) -> T) throws(ArchiveError) -> T {
        do { return try body() } catch { throw .engine(path: "source " + path, error) }
    }

    @discardableResult
    private func write<T>(_ path: String, _ body: () throws(FileSystemError) -> T) throws(ArchiveError) -> T {
        do { return try body() } catch { throw .engine(path: path, error) }
    }

    private func cloneDirectory(_ id: UInt32, path: String, into target: UInt32, depth: Int) throws(ArchiveError) {
        guard depth < 4096 else { throw .engine(path: "source " + path, .format(.malformed(.dirList, block: 0, .treeTooDeep))) }
        let entries = try read(path.isEmpty ? "/" : path) { () throws(FileSystemError) in try source.entries(of: id) }
        for entry in entries {
            let childPath = path + "/" + String(decoding: entry.name, as: UTF8.self)
            try cloneEntry(entry, path: childPath, into: target, depth: depth)
            copied.entries += 1
            progress?(copied)
        }
    }

    private func cloneEntry(_ entry: DirectoryEntry, path: String, into parent: UInt32, depth: Int) throws(ArchiveError) {
        let node = try read(path) { () throws(FileSystemError) in try source.node(entry.nodeID) }
        if !node.isDirectory, node.links > 1, let existing = linked[entry.nodeID] {
            try write(path) { () throws(FileSystemError) in
                try destination.link(existing, as: entry.name, in: parent)
                // Adding the name changed the copy's ctime; the source's stays.
                try destination.setAttributes(existing, AttributeChanges(changeTime: Timestamp(seconds: node.ctime, nanoseconds: node.ctimeNanoseconds)))
            }
            return
        }
        let attributes = NodeAttributes(
            mode: node.mode, uid: node.uid, gid: node.gid,
            changeTime: Timestamp(seconds: node.ctime, nanoseconds: node.ctimeNanoseconds),
            modificationTime: Timestamp(seconds: node.mtime, nanoseconds: node.mtimeNanoseconds),
            accessTime: Timestamp(seconds: node.atime, nanoseconds: node.atimeNanoseconds),
            recordSize: RecordSize(level: node.recordLevel))  // a copy keeps each file's record size
        let id: UInt32
        if node.isDirectory {
            id = try create(entry.name, in: parent, attributes, content: [], path: path)
            try cloneDirectory(entry.nodeID, path: path, into: id, depth: depth + 1)
            let made = try write(path) { () throws(FileSystemError) in try destination.node(id) }
            if made.mtime != node.mtime || made.mtimeNanoseconds != node.mtimeNanoseconds
                || made.atime != node.atime || made.atimeNanoseconds != node.atimeNanoseconds
                || made.ctime != node.ctime || made.ctimeNanoseconds != node.ctimeNanoseconds {
                try write(path) { () throws(FileSystemError) in try destination.setAttributes(id, Self.times(of: node)) }
            }
        } else if node.isSymlink || node.kind?.isSpecial == true || node.size <= UInt64(buffer.count) {
            // Small enough for one operation: node, content and times together.
            let content = try read(path) { () throws(FileSystemError) in try source.read(entry.nodeID, at: 0, count: Int(node.size)) }
            id = try create(entry.name, in: parent, attributes, content: content, path: path)
            copied.bytes += UInt64(content.count)
        } else {
            id = try create(entry.name, in: parent, attributes, content: [], path: path)
            try copyContent(node, path: path, into: id)
            var changes = Self.times(of: node)
            changes.size = node.size
            try write(path) { () throws(FileSystemError) in try destination.setAttributes(id, changes) }
        }
        if !node.isDirectory && node.links > 1 { linked[entry.nodeID] = id }
    }

    private func create(_ name: [UInt8], in parent: UInt32, _ attributes: NodeAttributes, content: [UInt8], path: String) throws(ArchiveError) -> UInt32 {
        do { return try destination.create(name, in: parent, attributes: attributes, content: content) } catch { throw .engine(path: path, error) }
    }

    private func copyContent(_ node: Node, path: String, into id: UInt32) throws(ArchiveError) {
        var offset: UInt64 = 0
        while offset < node.size {
            var failure: ArchiveError?
            var count = 0
            buffer.withUnsafeMutableBytes { raw in
                do throws(FileSystemError) {
                    count = try source.read(node, at: offset, into: raw)
                } catch {
                    failure = .engine(path: "source " + path, error)
                }
            }
            if let failure { throw failure }
            if count == 0 { break }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                guard chunk.contains(where: { $0 != 0 }) else { return }
                do throws(FileSystemError) {
                    try destination.write(id, at: offset, chunk)
                } catch {
                    failure = .engine(path: path, error)
                }
            }
            if let failure { throw failure }
            offset += UInt64(count)
            copied.bytes += UInt64(count)
            progress?(copied)
        }
    }
}
