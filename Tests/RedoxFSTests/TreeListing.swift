import Foundation
import Glibc
import RedoxFS

/// One path of a tree, with what an archive must keep: the columns of the fixtures'
/// tree_manifest.py listing (type, mode, uid, gid, size, sha256, target) plus the link count
/// and the mtime.
struct ListedPath: Equatable, CustomStringConvertible {
    var type: String
    var mode: UInt16
    var uid: UInt32
    var gid: UInt32
    /// Files and symbolic links only (a directory's size differs between hosts).
    var size: UInt64?
    var sha256: String?
    var target: String?
    /// Non-directories only.
    var links: UInt64?
    var mtime: String

    var description: String {
        "\(type) \(String(mode, radix: 8)) \(uid):\(gid) size \(size.map(String.init) ?? "-") links \(links.map(String.init) ?? "-") "
            + "mtime \(mtime) sha \(sha256?.prefix(12) ?? "-") target \(target.map { String($0.prefix(60)) } ?? "-")"
    }
}

/// Listings of a host tree and of a file system, keyed by path ("/" for the root).
enum TreeListing {
    static func host(_ root: String) throws -> [String: ListedPath] {
        var result: [String: ListedPath] = [:]
        func visit(_ hostPath: String, _ path: String) throws {
            var status = stat()
            guard lstat(hostPath, &status) == 0 else { throw HostTestTree.Failure(description: "stat \(hostPath)") }
            let mtime = "\(status.st_mtim.tv_sec).\(String(format: "%09d", status.st_mtim.tv_nsec))"
            var entry = ListedPath(
                type: "?", mode: UInt16(status.st_mode & 0o7777), uid: status.st_uid, gid: status.st_gid,
                size: nil, sha256: nil, target: nil, links: UInt64(status.st_nlink), mtime: mtime)
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                entry.type = "d"
                entry.links = nil
                result[path] = entry
                let names = try FileManager.default.contentsOfDirectory(atPath: hostPath)
                for name in names {
                    try visit(hostPath + "/" + name, (path == "/" ? "" : path) + "/" + name)
                }
                return
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(hostPath, &buffer, buffer.count)
                guard count >= 0 else { throw HostTestTree.Failure(description: "readlink \(hostPath)") }
                let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                entry.type = "l"
                entry.size = UInt64(target.utf8.count)
                entry.sha256 = SHA256Digest.hex(Array(target.utf8))
                entry.target = target
            case S_IFREG:
                entry.type = "f"
                entry.size = UInt64(status.st_size)
                entry.sha256 = SHA256Digest.hex(Array(try Data(contentsOf: URL(fileURLWithPath: hostPath))))
            case S_IFSOCK:
                entry.type = "s"
                entry.size = 0
                entry.sha256 = SHA256Digest.hex([])
            default:
                break
            }
            result[path] = entry
        }
        try visit(root, "/")
        return result
    }

    static func image(_ fs: FileSystem) throws -> [String: ListedPath] {
        let manifest = try Manifest(fileSystem: fs, imageName: "image")
        var result: [String: ListedPath] = [:]
        for entry in manifest.entries {
            let isDirectory = entry.type == "d"
            result[entry.path] = ListedPath(
                type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid,
                size: isDirectory ? nil : entry.size, sha256: entry.sha256, target: entry.symlinkTarget,
                links: isDirectory ? nil : UInt64(entry.links), mtime: entry.mtime.text)
        }
        return result
    }

    /// Lines describing how `actual` differs from `expected` (empty when equal).
    static func differences(expected: [String: ListedPath], actual: [String: ListedPath], limit: Int = 20) -> [String] {
        var lines: [String] = []
        for path in Set(expected.keys).union(actual.keys).sorted() where expected[path] != actual[path] {
            lines.append("\(path.debugDescription):\n  expected \(expected[path]?.description ?? "nothing")\n  found    \(actual[path]?.description ?? "nothing")")
            if lines.count == limit { break }
        }
        return lines
    }
}
