// Running external commands (git, tar, bwrap, bash) with captured output.
import Foundation

/// A finished process.
struct ProcessResult {
    let status: Int32
    let output: String
}

/// Runs commands without a shell (arguments passed as they are).
enum Shell {
    /// Runs `arguments[0]` (looked up in PATH) in `directory`, capturing standard output and error
    /// together, or sending them to `logPath` when given. Standard input is `input` or empty.
    static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        input: String? = nil, logPath: String? = nil
    ) throws(CookbookError) -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        let outputPipe = Pipe()
        var logHandle: FileHandle?
        if let logPath {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            logHandle = FileHandle(forWritingAtPath: logPath)
            logHandle?.seekToEndOfFile()
            process.standardOutput = logHandle
            process.standardError = logHandle
        } else {
            process.standardOutput = outputPipe
            process.standardError = outputPipe
        }
        do {
            try process.run()
        } catch {
            throw .command(arguments.joined(separator: " "), status: -1, output: "\(error)")
        }
        if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inputPipe.fileHandleForWriting.close()
        var data = Data()
        if logPath == nil { data = outputPipe.fileHandleForReading.readDataToEndOfFile() }
        process.waitUntilExit()
        try? logHandle?.close()
        return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs a command that must succeed; returns its trimmed output.
    @discardableResult
    static func check(_ arguments: [String], in directory: String? = nil) throws(CookbookError) -> String {
        let result = try run(arguments, in: directory)
        guard result.status == 0 else {
            throw .command(arguments.joined(separator: " "), status: result.status, output: result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
