// Content hashes of folders: paths, kinds, permission bits, file contents and link targets —
// never times, owners or inode numbers — so touching a file changes nothing.
import Pkgar

/// Hashing and copying of folder trees.
enum TreeHash {
    /// BLAKE3 over every entry under `directory` (depth-first, names sorted by bytes), skipping
    /// `.git` and the relative paths in `excluding`; `including` limits the walk to sub-paths.
    static func hash(_ directory: String, excluding: Set<String> = [], including: [String] = []) throws(CookbookError) -> String {
        var hasher = Blake3()
        let roots = including.isEmpty ? [""] : including.sorted()
        for root in roots {
            try CookbookError.wrap { () throws(PkgarError) in
                try walk(directory, relative: root, excluding: excluding) { (relative, status, content) throws(PkgarError) in
                    var record = Array("\(status.kind)\u{0}\(relative)\u{0}\(String(status.mode & 0o7777, radix: 8))\u{0}".utf8)
                    record += content.map(Blake3.hash) ?? []
                    record.append(0x0a)
                    hasher.update(record)
                }
            }
        }
        return Hex.encode(hasher.finalize())
    }

    /// Calls `visit` for every entry with its content (file bytes or link target; nil for folders).
    static func walk(
        _ directory: String, relative: String, excluding: Set<String>,
        _ visit: (String, Posix.Status, [UInt8]?) throws(PkgarError) -> Void
    ) throws(PkgarError) {
        let path = relative.isEmpty ? directory : directory + "/" + relative
        guard let status = try Posix.status(path) else {
            if relative.isEmpty { return }
            throw .missingFile(path: path)
        }
        switch status.kind {
        case .directory:
            if !relative.isEmpty { try visit(relative, status, nil) }
            for name in try Posix.directoryEntries(path) where name != ".git" {
                let child = relative.isEmpty ? name : relative + "/" + name
                if excluding.contains(child) { continue }
                try walk(directory, relative: child, excluding: excluding, visit)
            }
        case .regular: try visit(relative, status, try Posix.readFile(path))
        case .symbolicLink: try visit(relative, status, try Posix.readLink(path))
        case .other: throw .unsupportedFileKind(path: path)
        }
    }

    /// Copies the tree (or its `including` sub-paths) from `source` to a new folder `destination`,
    /// keeping permission bits and symbolic links, skipping `.git`.
    static func copy(_ source: String, to destination: String, including: [String] = [], excluding: Set<String> = []) throws(CookbookError) {
        try CookbookError.wrap { () throws(PkgarError) in
            try Posix.makeDirectories(destination)
            for root in including.isEmpty ? [""] : including.sorted() {
                if !root.isEmpty, let slash = root.lastIndex(of: "/") {
                    try Posix.makeDirectories(destination + "/" + root[..<slash])
                }
                try walk(source, relative: root, excluding: excluding) { (relative, status, content) throws(PkgarError) in
                    let target = destination + "/" + relative
                    switch status.kind {
                    case .directory: try Posix.makeDirectory(target, permissions: status.mode & 0o7777 | 0o700)
                    case .regular: try Posix.createFile(target, bytes: content ?? [], permissions: status.mode & 0o7777)
                    case .symbolicLink: try Posix.createSymbolicLink(target, target: content ?? [])
                    case .other: throw .unsupportedFileKind(path: relative)
                    }
                }
            }
        }
    }
}
