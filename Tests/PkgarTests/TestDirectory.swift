import Glibc
@testable import Pkgar

/// A fresh temporary directory, removed by `cleanUp`.
struct TestDirectory {
    let path: String

    init(_ name: String = "pkgar-test") throws {
        var template = Array("/tmp/\(name).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw PkgarError.io(path: "/tmp", operation: "mkdtemp", message: "failed") }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func cleanUp() { try? Posix.removeTree(path) }

    func write(_ relative: String, _ text: String, mode: UInt32 = 0o644) throws {
        let full = path + "/" + relative
        if let slash = full.lastIndex(of: "/") { try Posix.makeDirectories(String(full[..<slash])) }
        try Posix.removeFile(full)
        try Posix.createFile(full, bytes: Array(text.utf8), permissions: mode)
    }

    func link(_ relative: String, to target: String) throws {
        let full = path + "/" + relative
        if let slash = full.lastIndex(of: "/") { try Posix.makeDirectories(String(full[..<slash])) }
        try Posix.createSymbolicLink(full, target: Array(target.utf8))
    }

    func read(_ relative: String) throws -> String {
        String(decoding: try Posix.readFile(path + "/" + relative), as: UTF8.self)
    }

    /// Every path under the directory (files, links and folders), relative and sorted.
    func tree(_ relative: String = "") throws -> [String] {
        let base = relative.isEmpty ? path : path + "/" + relative
        var result: [String] = []
        for name in try Posix.directoryEntries(base) {
            let child = relative.isEmpty ? name : relative + "/" + name
            result.append(child)
            if try Posix.status(path + "/" + child)?.kind == .directory { result += try tree(child) }
        }
        return result
    }
}
