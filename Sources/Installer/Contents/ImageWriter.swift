#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
import RedoxFSTools

/// Writes a staged tree into a new RedoxFS through the engine: names in byte order, every node
/// with the one timestamp given, contents streamed in chunks.
struct ImageWriter {
    let fileSystem: FileSystem
    let time: Timestamp
    var progress: ((CopyProgress) -> Void)?
    private(set) var copied = CopyProgress()
    static let chunk = 4 << 20

    init(fileSystem: FileSystem, time: Timestamp) {
        self.fileSystem = fileSystem
        self.time = time
    }

    /// Writes every node below the root, then the root's own attributes.
    mutating func write(_ tree: StagedTree) throws(InstallerError) {
        let threshold = fileSystem.commitThresholdBytes
        fileSystem.commitThresholdBytes = 8 << 20
        defer { fileSystem.commitThresholdBytes = threshold }
        try writeChildren(of: tree.root, into: RedoxFS.rootNodeID, path: "")
        try engine("/") { () throws(FileSystemError) in
            try fileSystem.setAttributes(RedoxFS.rootNodeID, AttributeChanges(
                permissions: tree.root.permissions, uid: tree.root.uid, gid: tree.root.gid,
                accessTime: time, modificationTime: time))
        }
        try engine("/") { () throws(FileSystemError) in try fileSystem.sync() }
    }

    @discardableResult
    private func engine<T>(_ path: String, _ body: () throws(FileSystemError) -> T) throws(InstallerError) -> T {
        do { return try body() } catch { throw InstallerError.engine(path, error) }
    }

    private mutating func writeChildren(of directory: StagedTree.Node, into parent: UInt32, path: String) throws(InstallerError) {
        let names = directory.children.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            let node = directory.children[name]!
            let childPath = path + "/" + name
            try writeNode(node, name: Array(name.utf8), into: parent, path: childPath)
            copied.entries += 1
            progress?(copied)
        }
    }

    private mutating func writeNode(_ node: StagedTree.Node, name: [UInt8], into parent: UInt32, path: String) throws(InstallerError) {
        let kind: NodeKind
        switch node.kind {
        case .directory: kind = .directory
        case .file: kind = .file
        case .symlink: kind = .symlink
        }
        let attributes = NodeAttributes(
            mode: kind.rawValue | (node.permissions & 0o7777), uid: node.uid, gid: node.gid,
            changeTime: time, modificationTime: time, accessTime: time)
        switch node.kind {
        case .directory:
            let id = try create(name, parent, attributes, [], path)
            try writeChildren(of: node, into: id, path: path)
            try engine(path) { () throws(FileSystemError) in
                try fileSystem.setAttributes(id, AttributeChanges(accessTime: time, modificationTime: time))
            }
        case .symlink:
            _ = try create(name, parent, attributes, node.target, path)
        case .file:
            switch node.content {
            case .bytes(let bytes):
                _ = try create(name, parent, attributes, bytes, path)
                copied.bytes += UInt64(bytes.count)
            case .hostFile(let hostPath, let size):
                let id = try create(name, parent, attributes, [], path)
                try copyHostFile(hostPath, size: size, into: id, path: path)
                try finish(id, size: size, path: path)
            case .external(let external) where external.size <= UInt64(Self.chunk):
                // Small enough for one operation: node, content and times together.
                var bytes: [UInt8] = []
                bytes.reserveCapacity(Int(external.size))
                try external.read { (chunk: UnsafeRawBufferPointer) throws(InstallerError) in bytes += chunk }
                guard bytes.count == Int(external.size) else {
                    throw .invalidPath(path, "content is \(bytes.count) bytes, \(external.size) expected")
                }
                _ = try create(name, parent, attributes, bytes, path)
                copied.bytes += UInt64(bytes.count)
            case .external(let external):
                let id = try create(name, parent, attributes, [], path)
                var offset: UInt64 = 0
                let fs = fileSystem
                var written: UInt64 = 0
                try external.read { (bytes: UnsafeRawBufferPointer) throws(InstallerError) in
                    do throws(FileSystemError) {
                        _ = try fs.write(id, at: offset, bytes)
                    } catch {
                        throw InstallerError.engine(path, error)
                    }
                    offset += UInt64(bytes.count)
                    written += UInt64(bytes.count)
                }
                copied.bytes += written
                guard offset == external.size else {
                    throw .invalidPath(path, "content is \(offset) bytes, \(external.size) expected")
                }
                try finish(id, size: external.size, path: path)
            }
        }
    }

    private func finish(_ id: UInt32, size: UInt64, path: String) throws(InstallerError) {
        try engine(path) { () throws(FileSystemError) in
            try fileSystem.setAttributes(id, AttributeChanges(size: size, accessTime: time, modificationTime: time))
        }
    }

    private func create(_ name: [UInt8], _ parent: UInt32, _ attributes: NodeAttributes, _ content: [UInt8], _ path: String) throws(InstallerError) -> UInt32 {
        do { return try fileSystem.create(name, in: parent, attributes: attributes, content: content) } catch { throw InstallerError.engine(path, error) }
    }

    private mutating func copyHostFile(_ hostPath: String, size: UInt64, into id: UInt32, path: String) throws(InstallerError) {
        let fd = open(hostPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .host(operation: "open", path: hostPath, errno: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        var offset: UInt64 = 0
        while offset < size {
            let want = Int(min(UInt64(Self.chunk), size - offset))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .host(operation: "read", path: hostPath, errno: errno)
            }
            guard n > 0 else { throw .invalidPath(hostPath, "the file got shorter while being copied") }
            var failure: FileSystemError?
            buffer.withUnsafeBytes { raw in
                do throws(FileSystemError) {
                    _ = try fileSystem.write(id, at: offset, UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                } catch {
                    failure = error
                }
            }
            if let failure { throw InstallerError.engine(path, failure) }
            offset += UInt64(n)
            copied.bytes += UInt64(n)
            progress?(copied)
        }
    }
}

/// What the contents need on disk, estimated before anything is written.
public enum SpaceEstimate {
    /// Bytes a RedoxFS needs for `tree`: a block per node, contents rounded up to blocks with
    /// their block lists, directory entry blocks, the header ring and a margin for the
    /// allocation log and tree levels.
    public static func redoxFSBytes(for tree: StagedTree) -> UInt64 {
        let block = UInt64(RedoxFS.blockSize)
        var blocks: UInt64 = RedoxFS.headerRing + 64
        func walk(_ node: StagedTree.Node) {
            blocks += 1
            switch node.kind {
            case .directory:
                var nameBytes: UInt64 = 0
                for (name, child) in node.children {
                    nameBytes += UInt64(name.utf8.count) + 16
                    walk(child)
                }
                blocks += (nameBytes + block - 1) / block + 1
            case .file:
                let data = (node.content.size + block - 1) / block
                blocks += data + (data + 255) / 256
            case .symlink:
                blocks += 1
            }
        }
        walk(tree.root)
        // Node tree levels and the allocation log: a few percent.
        blocks += blocks / 16
        return blocks * block
    }
}
