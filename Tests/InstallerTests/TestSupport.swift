import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Installer
import RedoxFSTestSupport
import Testing

/// Scratch folders, files and the built tools for the installer's tests.
enum Scratch {
    /// A fresh folder.
    static func folder(_ label: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("installer-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Writes `text` to `folder/name` (parents made) and returns the path.
    @discardableResult
    static func write(_ text: String, _ folder: String, _ name: String) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The repository's `installer/config` folder.
    static var configFolder: String { Fixtures.packageRoot.appendingPathComponent("installer/config").path }

    /// Runs a built tool; returns status, standard output and standard error as text.
    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        try runHost(Fixtures.tool(tool), arguments, environment: environment)
    }

    /// Runs a program without standard input, with `environment` added to ours (less
    /// SOURCE_DATE_EPOCH); returns status, standard output and standard error as text.
    static func runHost(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SOURCE_DATE_EPOCH")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let (outData, errData) = Fixtures.readToEnd(out.fileHandleForReading, err.fileHandleForReading)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// A pipe (`[read end, write end]`) whose ends are closed on exec (pipe2 with O_CLOEXEC: a
    /// program another test starts meanwhile inherits neither); the test fails when none is had.
    static func closeOnExecPipe() throws -> [Int32] {
        typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2"), "no pipe2")
        let pipe2 = unsafeBitCast(symbol, to: Pipe2.self)
        var ends: [Int32] = [-1, -1]
        let ok = pipe2(&ends, O_CLOEXEC) == 0
        let code = errno
        try #require(ok, "pipe2: \(String(cString: strerror(code)))")
        return ends
    }

    /// Installs `configuration` into a new image `folder/disk.img` through the library.
    static func install(_ configuration: Configuration, in folder: String, epoch: UInt64? = 1_700_000_000) throws -> (String, InstallReport) {
        let output = folder + "/disk.img"
        var configuration = configuration
        configuration.addImageRecords(original: configuration, configName: nil, buildID: nil)
        var options = InstallOptions(configuration: configuration, output: output)
        options.skipPackages = true
        options.showProgress = false
        options.sourceDateEpoch = epoch
        return (output, try Installer(options: options).install())
    }

    /// The manifest lines of `redoxfs-dump` for the RedoxFS at `offset`, keyed by path:
    /// [type, mode, uid, gid, size, links, node, blocks, inline, htree, mtime, ctime, sha256, target].
    static func dump(_ image: String, offset: UInt64, password: String? = nil) throws -> [String: [String]] {
        var arguments = [image, "--offset", String(offset)]
        if let password {
            let file = image + ".password"
            try password.write(toFile: file, atomically: true, encoding: .utf8)
            arguments += ["--password-file", file]
        }
        let result = try run("redoxfs-dump", arguments)
        guard result.status == 0 else { throw Failure("redoxfs-dump failed: \(result.err)") }
        var entries: [String: [String]] = [:]
        for line in result.out.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            entries[fields[0]] = Array(fields.dropFirst())
        }
        return entries
    }

    /// Reads a file's bytes out of the image through the engine.
    static func read(_ image: String, offset: UInt64, path: String, password: String? = nil) throws -> [UInt8] {
        let fs = try FileSystem(path: image, readOnly: true, byteOffset: offset, password: password.map { Array($0.utf8) })
        defer { fs.close() }
        let id = try fs.lookup(path)
        let node = try fs.node(id)
        return try fs.read(id, at: 0, count: Int(node.size))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

import RedoxFS
