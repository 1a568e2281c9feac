// Reading a host directory into an `InitfsNode` tree with upstream's rules
// (initfs-bootstrap.md §3): executables by the owner-execute bit, symbolic links rewritten
// relative to their directory, special files refused. Entries are sorted by name so that the
// image is reproducible (upstream keeps the host's order).

import Foundation
import RedoxInitfs

/// Why a host tree could not be archived.
public struct HostTreeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum HostTree {
    /// The children of directory `path`.
    public static func read(directory path: String) throws -> [InitfsChild] {
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw HostTreeError("cannot read directory \(path): \(error.localizedDescription)")
        }
        var children: [InitfsChild] = []
        for name in names {
            let child = path + "/" + name
            children.append(InitfsChild(name: Array(name.utf8), node: try node(at: child)))
        }
        return children
    }

    static func node(at path: String) throws -> InitfsNode {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw HostTreeError("cannot stat \(path): \(String(cString: strerror(errno)))") }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            return .directory(try read(directory: path))
        case S_IFREG:
            guard let data = FileManager.default.contents(atPath: path) else { throw HostTreeError("cannot read \(path)") }
            guard data.count <= Int(UInt32.max) else { throw HostTreeError("\(path) is larger than 4 GiB - 1") }
            return .file([UInt8](data), executable: info.st_mode & 0o100 != 0)
        case S_IFLNK:
            return .link(Array(try relativeLinkTarget(path).utf8))
        default:
            throw HostTreeError("\(path): sockets, FIFOs and device files cannot go into an initfs")
        }
    }

    /// The link's target, canonicalised and rewritten relative to the link's directory.
    static func relativeLinkTarget(_ path: String) throws -> String {
        let raw: String
        do { raw = try FileManager.default.destinationOfSymbolicLink(atPath: path) } catch {
            throw HostTreeError("cannot read link \(path)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let absoluteDirectory = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        let target = raw.hasPrefix("/") ? raw : absoluteDirectory + "/" + raw
        let canonical = URL(fileURLWithPath: target).standardizedFileURL.resolvingSymlinksInPath().path
        let from = absoluteDirectory.split(separator: "/")
        let to = canonical.split(separator: "/")
        var common = 0
        while common < from.count && common < to.count && from[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: from.count - common)
        let rest = to[common...].map(String.init)
        let parts = ups + rest
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// Archives `source` with `bootstrap` into `output` (written as `output.partial`, renamed on
    /// success, removed on failure).
    public static func archive(source: String, bootstrap: String, output: String, maximumSize: Int) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HostTreeError("\(source) is not a directory")
        }
        guard let elf = FileManager.default.contents(atPath: bootstrap) else { throw HostTreeError("cannot read \(bootstrap)") }
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
            throw HostTreeError("\(output) exists and is not a file")
        }
        let children = try read(directory: source)
        let image: [UInt8]
        do {
            image = try InitfsWriter.image(root: children, bootstrap: [UInt8](elf), maximumSize: maximumSize)
        } catch {
            throw HostTreeError(error.message)
        }
        let partial = output + ".partial"
        do {
            try Data(image).write(to: URL(fileURLWithPath: partial))
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: partial, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw HostTreeError("cannot write \(output): \(error.localizedDescription)")
        }
    }
}
