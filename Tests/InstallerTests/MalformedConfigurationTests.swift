import Foundation
import Glibc
import RedoxFSTestSupport
import Testing

/// `redox-installer` given malformed configurations (the shared corpus of malformed TOML, the
/// classes that crashed the TOML library first) and hostile paths: a clear error naming the file
/// and line, and a non-zero exit; never a signal, never a hang.
@Suite struct MalformedConfigurationTests {
    static var installer: String { Fixtures.tool("redox-installer") }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: MalformedConfigurationTests.installer)))
    func everyMalformedConfigurationIsAClearError() throws {
        let folder = try Scratch.folder("malformed")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var refused = 0
        for malformed in MalformedTOML.all {
            let path = folder + "/\(malformed.name).toml"
            try Data(malformed.bytes).write(to: URL(fileURLWithPath: path))
            let run = try ToolRun.run(Self.installer, ["-c", path, "--filesystem-size"])
            #expect(run.failedCleanly, "\(malformed.name): \(run.exitStatus.map { "exit \($0)" } ?? "signal \(run.signal ?? 0)")\n\(run.output.prefix(400))")
            #expect(run.output.contains("\(malformed.name).toml: line \(malformed.line), column "), "\(malformed.name): \(run.output.prefix(400))")
            #expect(run.output.contains(malformed.reason), "\(malformed.name): \(run.output.prefix(400))")
            if run.failedCleanly { refused += 1 }
        }
        #expect(refused == MalformedTOML.all.count)

        // Through an include: the error names the included file.
        let main = try Scratch.write("include = [\"dotted-key-100000.toml\"]\n[general]\nfilesystem_size = 8\n", folder, "main.toml")
        let included = try ToolRun.run(Self.installer, ["-c", main, "--filesystem-size"])
        #expect(included.failedCleanly)
        #expect(included.output.contains("dotted-key-100000.toml: line 1, column "), "\(included.output.prefix(400))")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: MalformedConfigurationTests.installer)))
    func hostileConfigurationPathsAreClearErrors() throws {
        let folder = try Scratch.folder("hostile")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/fifo.toml"
        #expect(mkfifo(fifo, 0o600) == 0)
        for (path, reason) in [(fifo, "not a regular file"), ("/dev/zero", "not a regular file"), (folder, "a directory")] {
            let run = try ToolRun.run(Self.installer, ["-c", path, "--filesystem-size"])
            #expect(run.failedCleanly, "\(path): \(run.output)")
            #expect(run.output.contains(path) && run.output.contains(reason), "\(run.output)")
        }
    }
}
