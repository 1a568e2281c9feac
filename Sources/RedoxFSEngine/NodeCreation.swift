import RedoxFSFormat

/// Everything a new node carries, for `create(_:in:attributes:content:)`.
public struct NodeAttributes: Sendable {
    /// Type and permission bits.
    public var mode: UInt16
    public var uid: UInt32
    public var gid: UInt32
    /// Inode change time (later changes set it to the time of the change).
    public var changeTime: Timestamp
    public var modificationTime: Timestamp
    public var accessTime: Timestamp
    /// A regular file's record size; nil: the engine's `fileRecordSize` (ignored for other types).
    public var recordSize: RecordSize?

    public init(
        mode: UInt16, uid: UInt32, gid: UInt32, changeTime: Timestamp, modificationTime: Timestamp, accessTime: Timestamp,
        recordSize: RecordSize? = nil
    ) {
        self.recordSize = recordSize
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.changeTime = changeTime
        self.modificationTime = modificationTime
        self.accessTime = accessTime
    }
}

/// Creating a node complete in one operation, for the tools that copy whole trees (archive,
/// clone): metadata, all three times and (optionally) the whole content at once, instead of a
/// create, a write and an attribute change, each rewriting the node and its tree path.
extension FileSystemEngine {
    /// `create(_:in:attributes:content:)` with the content held in an array.
    public func create(
        _ name: [UInt8], in parent: UInt32, attributes: NodeAttributes, content: [UInt8]
    ) throws(FileSystemError) -> UInt32 {
        var result: Result<UInt32, FileSystemError> = .failure(.invalidArgument(""))
        content.withUnsafeBytes { raw in
            do throws(FileSystemError) {
                result = .success(try create(name, in: parent, attributes: attributes, content: raw))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Creates `name` in `parent` with `attributes` and, for files, symbolic links and device
    /// nodes, `content` (written from offset 0; all-zero records stay holes; a device node's is
    /// its `DeviceNumber`). Returns the new node's id. The parent's mtime and ctime become now.
    public func create(
        _ name: [UInt8], in parent: UInt32, attributes: NodeAttributes, content: UnsafeRawBufferPointer? = nil
    ) throws(FileSystemError) -> UInt32 {
        try transaction { () throws(FileSystemError) in
            try requireWritable()
            try checkName(name, "create")
            guard let kind = NodeKind(rawValue: attributes.mode & Node.modeTypeMask) else {
                throw Self.refuse(POSIXCode.EINVAL, "create", name)
            }
            var directory = try loadDirectory(parent)
            if try findEntry(name, in: parent) != nil { throw Self.refuse(POSIXCode.EEXIST, "create", name) }
            let ctime = attributes.changeTime
            var node = Node(mode: attributes.mode, uid: attributes.uid, gid: attributes.gid, seconds: ctime.seconds, nanoseconds: ctime.nanoseconds)
            node.links = 1
            node.mtime = attributes.modificationTime.seconds
            node.mtimeNanoseconds = attributes.modificationTime.nanoseconds
            node.atime = attributes.accessTime.seconds
            node.atimeNanoseconds = attributes.accessTime.nanoseconds
            applyRecordSize(attributes.recordSize, to: &node)
            if let content, content.count > 0 {
                guard kind == .file || kind == .symlink || kind.isDevice else {
                    throw Self.refuse(kind == .directory ? POSIXCode.EISDIR : POSIXCode.EINVAL, "write", name)
                }
                try writeContent(content, at: 0, to: &node)
            }
            let id = try insertNode(node)
            try insertEntry(DirectoryEntry(nodeID: id, name: name), into: &directory)
            markEntriesChanged(&directory)
            try saveNode(parent, directory)
            return id
        }
    }

    /// Gives a new regular file `size`'s record level, or the engine's `fileRecordSize` (other
    /// node types keep theirs: directories and symbolic links use level 0, as upstream).
    func applyRecordSize(_ size: RecordSize?, to node: inout Node) {
        guard node.kind == .file else { return }
        node.recordLevel = (size ?? fileRecordSizeStorage).level
    }
}
