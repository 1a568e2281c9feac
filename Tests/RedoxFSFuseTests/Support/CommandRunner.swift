import Foundation
import XCTest

/// The result of one command.
struct CommandResult {
    var status: Int32
    var output: String
    var error: String

    /// Output and error together, for failure messages.
    var transcript: String { output + (error.isEmpty ? "" : "\n[stderr]\n" + error) }
}

/// Runs ordinary processes for the tests, always with a time limit, so that a hung mount fails a
/// test instead of hanging the run.
enum CommandRunner {
    /// Runs `arguments` (no shell) under `timeout(1)`; standard input gets `input`.
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil, timeout: Int = 120, environment: [String: String]? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=10", String(timeout)] + arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let folder = FileManager.default.temporaryDirectory
        let outURL = folder.appendingPathComponent("redoxfs-out-\(UUID().uuidString)")
        let errURL = folder.appendingPathComponent("redoxfs-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inputPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        let output = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let error = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return CommandResult(status: process.terminationStatus, output: output, error: error)
    }

    /// Runs `command` with /bin/sh.
    @discardableResult
    static func shell(_ command: String, timeout: Int = 120) throws -> CommandResult {
        try run(["/bin/sh", "-c", command], timeout: timeout)
    }

    /// Runs `arguments` and fails the test unless it exits 0; returns its output.
    @discardableResult
    static func check(
        _ arguments: [String], input: String? = nil, timeout: Int = 120, file: StaticString = #filePath, line: UInt = #line
    ) throws -> String {
        let result = try run(arguments, input: input, timeout: timeout)
        XCTAssertEqual(result.status, 0, "\(arguments.joined(separator: " ")) failed:\n\(result.transcript)", file: file, line: line)
        return result.output
    }

    /// Runs a helper script with python3.
    @discardableResult
    static func python(
        _ script: String, _ arguments: [String], timeout: Int = 300, file: StaticString = #filePath, line: UInt = #line
    ) throws -> String {
        try check(["python3", TestEnvironment.script(script)] + arguments, timeout: timeout, file: file, line: line)
    }
}
