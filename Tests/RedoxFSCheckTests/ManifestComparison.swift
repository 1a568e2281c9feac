import Foundation
import RedoxFS

/// A fixture manifest as a table, for checking that every undamaged file still reads the same.
struct ReferenceManifest {
    struct Line {
        var path: String
        var type: String
        var columns: [String]
        var nodeID: UInt32
        /// The columns that describe the file itself (type, mode, uid, gid, size, sha256, target).
        var identity: [String] { [columns[1], columns[2], columns[3], columns[4], columns[5], columns[13], columns[14]] }
    }

    var lines: [Line] = []

    init(text: String) {
        for raw in text.split(separator: "\n") where !raw.hasPrefix("#") {
            let columns = raw.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 15 else { continue }
            lines.append(Line(path: columns[0], type: columns[1], columns: columns, nodeID: UInt32(columns[7]) ?? 0))
        }
    }

    /// The header generation fixture `name`'s manifest records.
    static func generation(of name: String) throws -> Int {
        let text = try CheckFixtures.manifest(name)
        guard let range = text.range(of: " generation ") else { return -1 }
        return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
    }

    /// The paths of `ids`, and for directories everything below them.
    func paths(ofNodes ids: Set<UInt32>) -> [String] {
        let direct = lines.filter { ids.contains($0.nodeID) }.map(\.path)
        return direct
    }

    /// Whether `path` is `damaged` or lies below one of them.
    static func isDamaged(_ path: String, _ damaged: [String]) -> Bool {
        damaged.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// Files and symlinks not under `damaged` whose content or metadata differ in the image at
    /// `image` (opened read-only through the engine); returns descriptions of the differences.
    func differences(in image: String, password: [UInt8]?, damaged: [String]) throws -> [String] {
        let fs = try FileSystem(path: image, readOnly: true, password: password)
        defer { fs.close() }
        let actual = try Manifest(fileSystem: fs, imageName: "x")
        var byPath: [String: ManifestEntry] = [:]
        for entry in actual.entries { byPath[entry.path] = entry }
        var problems: [String] = []
        for line in lines where line.type != "d" && !Self.isDamaged(line.path, damaged) {
            guard let entry = byPath[line.path] else {
                problems.append("\(line.path): missing")
                continue
            }
            let columns = entry.line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let now = [columns[1], columns[2], columns[3], columns[4], columns[5], columns[13], columns[14]]
            if now != line.identity { problems.append("\(line.path): \(now) instead of \(line.identity)") }
        }
        return problems
    }
}
