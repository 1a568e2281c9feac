#if canImport(Glibc)
import Glibc
#endif

/// Applies `[[files]]` entries to the staged tree with upstream's rules (installer.md §1.4).
enum FileEntryInstaller {
    static func apply(_ entry: FileEntry, to tree: StagedTree) throws(InstallerError) {
        if entry.directory {
            let node = try tree.makeDirectory(entry.path, permissions: UInt16(truncatingIfNeeded: entry.mode ?? 0o755) & 0o7777)
            node.permissions = UInt16(truncatingIfNeeded: entry.mode ?? 0o755) & 0o7777
            StagedTree.chown(node, uid: entry.uid, gid: entry.gid, recursive: entry.recursiveChown)
            return
        }
        if entry.symlink {
            try tree.makeSymlink(entry.path, target: Array(entry.data.utf8))
            return
        }
        let content: FileContent
        if let source = entry.source {
            var info = stat()
            guard stat(source, &info) == 0 else { throw .host(operation: "read", path: source, errno: errno) }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw .invalidPath(source, "source is not a regular file") }
            content = .hostFile(path: source, size: UInt64(info.st_size))
        } else {
            content = .bytes(Array(entry.data.utf8))
        }
        let permissions = UInt16(truncatingIfNeeded: entry.mode ?? 0o644) & 0o7777
        let node = try tree.writeFile(entry.path, content: content, permissions: permissions, append: entry.append)
        node.permissions = permissions
        StagedTree.chown(node, uid: entry.uid, gid: entry.gid, recursive: false)
    }
}
