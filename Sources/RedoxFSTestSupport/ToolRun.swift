import Foundation

/// How a run of a built tool ended, for tests that feed it bad input: an exit status, or the
/// signal that killed it (a crash), with everything it printed.
public struct ToolRun: Sendable {
    /// The exit status, nil when a signal ended the process.
    public let exitStatus: Int32?
    /// The signal that ended the process, nil when it exited.
    public let signal: Int32?
    /// Standard output and standard error, interleaved.
    public let output: String

    /// Whether the tool refused the input properly: it exited (no signal) with a non-zero status.
    public var failedCleanly: Bool { signal == nil && (exitStatus ?? 0) != 0 }

    /// Runs `executable` with `arguments`, no standard input, and waits for it.
    public static func run(_ executable: String, _ arguments: [String]) throws -> ToolRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let input = Pipe()  // an empty standard input (not /dev/null: the tests must not need it)
        process.standardInput = input
        try process.run()
        try? input.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let crashed = process.terminationReason == .uncaughtSignal
        return ToolRun(
            exitStatus: crashed ? nil : process.terminationStatus, signal: crashed ? process.terminationStatus : nil,
            output: String(decoding: data, as: UTF8.self))
    }
}
