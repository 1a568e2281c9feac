/// Where a file's bytes come from.
public enum FileContent: Sendable {
    /// Bytes held in memory (configuration files, generated files).
    case bytes([UInt8])
    /// A host file read when the image is written (`source` extension, bootloader files).
    case hostFile(path: String, size: UInt64)
    /// An entry of a verified package archive, read (and checked again) when written.
    case external(ExternalContent)

    public var size: UInt64 {
        switch self {
        case .bytes(let bytes): return UInt64(bytes.count)
        case .hostFile(_, let size): return size
        case .external(let content): return content.size
        }
    }
}

/// Content read through a closure when the image is written (package entries).
public struct ExternalContent: @unchecked Sendable {
    public var size: UInt64
    /// Delivers the bytes in order, in chunks.
    public var read: (_ deliver: (UnsafeRawBufferPointer) throws(InstallerError) -> Void) throws(InstallerError) -> Void

    public init(size: UInt64, read: @escaping (_ deliver: (UnsafeRawBufferPointer) throws(InstallerError) -> Void) throws(InstallerError) -> Void) {
        self.size = size
        self.read = read
    }
}

/// The image's contents assembled in memory before anything is written: every configuration
/// file, package entry, user and generated file lands here, so the space is known in advance
/// and the engine writes a finished tree in sorted order.
public final class StagedTree {
    /// One node.
    public final class Node {
        public enum Kind: Equatable { case directory, file, symlink }
        public var kind: Kind
        public var permissions: UInt16
        public var uid: UInt32
        public var gid: UInt32
        public var content: FileContent = .bytes([])
        /// Symlink target.
        public var target: [UInt8] = []
        public var children: [String: Node] = [:]

        init(kind: Kind, permissions: UInt16, uid: UInt32, gid: UInt32) {
            self.kind = kind
            self.permissions = permissions
            self.uid = uid
            self.gid = gid
        }
    }

    public let root = Node(kind: .directory, permissions: 0o755, uid: 0, gid: 0)
    /// Symlinks followed on one lookup at most.
    static let maximumLinks = 40

    public init() {}

    // MARK: Paths

    /// The components of `path` (leading "/" and "." dropped); ".." is refused.
    public static func components(_ path: String) throws(InstallerError) -> [String] {
        var result: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw .invalidPath(path, "\"..\" is not allowed in an image path") }
            if part.utf8.contains(0) { throw .invalidPath(path, "NUL byte in the path") }
            if part.utf8.count > 255 { throw .invalidPath(path, "a name is longer than 255 bytes") }
            result.append(String(part))
        }
        return result
    }

    /// Follows `components` from the root, resolving symlinks met on the way (and the last
    /// component's too when `followLast`). Returns the parent directory and final name; missing
    /// directories are made with `directoryDefaults` when given. A link leading above the root
    /// or to an absolute target is refused (on a host install it would escape the root).
    func resolve(
        _ components: [String], path: String, followLast: Bool, create directoryDefaults: (UInt16, UInt32, UInt32)?,
        throughLinks: Bool = true
    ) throws(InstallerError) -> (parent: Node, name: String)? {
        var pending = components
        var stack: [Node] = [root]
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == ".." {
                guard stack.count > 1 else { throw .invalidPath(path, "a symbolic link on the way leads outside the root") }
                stack.removeLast()
                continue
            }
            if name == "." { continue }
            let directory = stack.last!
            let isLast = pending.isEmpty
            if let child = directory.children[name] {
                if child.kind == .symlink && (!isLast || followLast) {
                    guard throughLinks else {
                        throw .invalidPath(path, "goes through the symbolic link \(name) (\(String(decoding: child.target, as: UTF8.self)))")
                    }
                    links += 1
                    guard links <= Self.maximumLinks else { throw .invalidPath(path, "too many levels of symbolic links") }
                    let target = String(decoding: child.target, as: UTF8.self)
                    guard !target.hasPrefix("/") else {
                        throw .invalidPath(path, "a symbolic link on the way has an absolute target (\(target)) and leads outside the root")
                    }
                    pending = target.split(separator: "/").map(String.init) + pending
                    continue
                }
                if isLast { return (directory, name) }
                guard child.kind == .directory else { throw .invalidPath(path, "\(name) is not a directory") }
                stack.append(child)
            } else {
                if isLast { return (directory, name) }
                guard let (mode, uid, gid) = directoryDefaults else { return nil }
                let made = Node(kind: .directory, permissions: mode, uid: uid, gid: gid)
                directory.children[name] = made
                stack.append(made)
            }
        }
        return nil  // the path names the root itself
    }

    /// The node at `path` (symlinks followed), or nil.
    public func node(at path: String) -> Node? {
        guard let components = try? Self.components(path) else { return nil }
        if components.isEmpty { return root }
        guard let found = try? resolve(components, path: path, followLast: true, create: nil) else { return nil }
        return found.parent.children[found.name]
    }

    /// The node at `path` without following a final symlink, or nil.
    public func entry(at path: String) -> Node? {
        guard let components = try? Self.components(path) else { return nil }
        if components.isEmpty { return root }
        guard let found = try? resolve(components, path: path, followLast: false, create: nil) else { return nil }
        return found.parent.children[found.name]
    }

    // MARK: Changes

    /// Makes directory `path` and its parents (`mkdir -p`); returns it.
    @discardableResult
    public func makeDirectory(_ path: String, permissions: UInt16 = 0o755, uid: UInt32 = 0, gid: UInt32 = 0) throws(InstallerError) -> Node {
        let components = try Self.components(path)
        if components.isEmpty { return root }
        guard let (parent, name) = try resolve(components, path: path, followLast: true, create: (0o755, 0, 0)) else { return root }
        if let existing = parent.children[name] {
            guard existing.kind == .directory else { throw .invalidPath(path, "exists and is not a directory") }
            return existing
        }
        let made = Node(kind: .directory, permissions: permissions, uid: uid, gid: gid)
        parent.children[name] = made
        return made
    }

    /// Writes a regular file at `path` (parents made 0755 root); an existing file is replaced
    /// (or extended when `append`), a final symlink is followed as a host write would.
    @discardableResult
    public func writeFile(
        _ path: String, content: FileContent, permissions: UInt16 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
        append: Bool = false, followLink: Bool = true, throughLinks: Bool = true
    ) throws(InstallerError) -> Node {
        let components = try Self.components(path)
        guard let (parent, name) = try resolve(components, path: path, followLast: followLink, create: (0o755, 0, 0), throughLinks: throughLinks) else {
            throw .invalidPath(path, "is the root directory")
        }
        if let existing = parent.children[name] {
            if existing.kind == .directory { throw .invalidPath(path, "is a directory") }
            if existing.kind == .file && followLink {
                if append, case .bytes(let old) = existing.content, case .bytes(let new) = content {
                    existing.content = .bytes(old + new)
                } else if append {
                    throw .invalidPath(path, "cannot append to a file that comes from a package or host file")
                } else {
                    existing.content = content
                }
                return existing
            }
        }
        let node = Node(kind: .file, permissions: permissions, uid: uid, gid: gid)
        node.content = content
        parent.children[name] = node
        return node
    }

    /// Makes symlink `path` → `target`, replacing an existing symlink or file there.
    public func makeSymlink(_ path: String, target: [UInt8], uid: UInt32 = 0, gid: UInt32 = 0, throughLinks: Bool = true) throws(InstallerError) {
        let components = try Self.components(path)
        guard let (parent, name) = try resolve(components, path: path, followLast: false, create: (0o755, 0, 0), throughLinks: throughLinks) else {
            throw .invalidPath(path, "is the root directory")
        }
        if let existing = parent.children[name], existing.kind == .directory {
            throw .invalidPath(path, "a directory is in the way of the symbolic link")
        }
        let node = Node(kind: .symlink, permissions: 0o777, uid: uid, gid: gid)
        node.target = target
        parent.children[name] = node
    }

    /// Sets owner (and with `recursive` of everything below).
    public static func chown(_ node: Node, uid: UInt32?, gid: UInt32?, recursive: Bool) {
        if let uid { node.uid = uid }
        if let gid { node.gid = gid }
        if recursive { for child in node.children.values { chown(child, uid: uid, gid: gid, recursive: true) } }
    }

    // MARK: Totals

    /// Number of nodes (root included) and bytes of content.
    public func totals() -> (nodes: Int, bytes: UInt64, directories: Int) {
        var nodes = 0, bytes: UInt64 = 0, directories = 0
        func walk(_ node: Node) {
            nodes += 1
            switch node.kind {
            case .directory:
                directories += 1
                for child in node.children.values { walk(child) }
            case .file: bytes += node.content.size
            case .symlink: bytes += UInt64(node.target.count)
            }
        }
        walk(root)
        return (nodes, bytes, directories)
    }
}
