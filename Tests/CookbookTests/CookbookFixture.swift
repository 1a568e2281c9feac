import Foundation
import Testing
@testable import Cookbook
import Pkgar

/// A throwaway cookbook tree under /tmp with recipes written by the test.
struct CookbookFixture {
    let root: String

    init(_ name: String = "cookbook-test") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/recipes", withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `recipes/<category>/<name>/recipe.toml` and the given files of its folder.
    func recipe(_ name: String, category: String = "core", _ toml: String, files: [String: String] = [:]) throws {
        let directory = root + "/recipes/\(category)/\(name)"
        try write(directory + "/recipe.toml", toml)
        for (path, text) in files { try write(directory + "/" + path, text) }
    }

    func write(_ path: String, _ text: String) throws {
        let full = path.hasPrefix("/") ? path : root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: path.hasPrefix("/") ? path : root + "/" + path, encoding: .utf8)
    }

    func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path.hasPrefix("/") ? path : root + "/" + path, isDirectory: &isDirectory)
            || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    func options(jobs: Int = 2) -> CookOptions {
        var options = CookOptions()
        options.jobs = jobs
        options.offline = true
        options.cacheDirectory = root + "/cache"
        return options
    }

    /// Cooks `names` and returns the status of each unit by its name.
    @discardableResult
    func cook(_ names: [String], options: CookOptions? = nil) throws -> [String: CookStatus] {
        let commands = try CookbookCommands(root: root, options: options ?? self.options())
        let lines = Lines()
        let summary = try commands.cook(names.map { try PackageName($0) }, repository: root + "/repo", status: { lines.append($0) })
        var statuses: [String: CookStatus] = [:]
        for (unit, result) in summary.results { statuses[unit.description] = result.status }
        // Every unit printed exactly one status line.
        for unit in summary.plan.order {
            #expect(lines.all.filter { $0 == "cook \(unit) - \(statuses[unit.description]?.rawValue ?? "")" }.count == 1, "\(lines.all)")
        }
        return statuses
    }

    /// SHA-256 of a file (sha256sum).
    func sha256(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}

/// Status lines collected from concurrent builds.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// Runs a shell command on the host (test setup), failing the test on a non-zero status.
@discardableResult
func shell(_ command: String, in directory: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", command]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    #expect(process.terminationStatus == 0, "\(command): \(output)")
    return output
}
