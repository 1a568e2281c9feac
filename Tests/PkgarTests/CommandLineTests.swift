import Foundation
import Testing
@testable import Pkgar

/// The `pkgar` and `pkgar-keys` executables with upstream's command lines.
@Suite struct PkgarCommandLineTests {
    static func tool(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/" + name).path
    }

    static var built: Bool { FileManager.default.isExecutableFile(atPath: tool("pkgar")) && FileManager.default.isExecutableFile(atPath: tool("pkgar-keys")) }

    func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.tool(name))
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: PkgarCommandLineTests.built))
    func createListExtractVerifyAndErrors() throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        let p = work.path
        #expect(try run("pkgar-keys", ["-s", p + "/k/id.toml", "gen", "-p", p + "/k/id.pub.toml", "-P"]).status == 0)
        #expect(try run("pkgar-keys", ["-s", p + "/o/id.toml", "gen", "-p", p + "/o/id.pub.toml", "--plaintext"]).status == 0)
        let again = try run("pkgar-keys", ["-s", p + "/k/id.toml", "gen", "-p", p + "/k/id.pub.toml", "-P"])
        #expect(again.status != 0 && again.output.contains("--force"), "refuses to overwrite")
        try work.write("tree/usr/bin/tool", "tool", mode: 0o755)
        try work.link("tree/bin", to: "usr/bin")
        #expect(try run("pkgar", ["create", "-s", p + "/k/id.toml", "-a", p + "/t.pkgar", "-c", p + "/tree"]).status == 0)
        let listed = try run("pkgar", ["list", "-p", p + "/k/id.pub.toml", "-a", p + "/t.pkgar"])
        #expect(listed.status == 0 && listed.output == "bin\nusr/bin/tool\n")
        #expect(try run("pkgar", ["extract", "-p", p + "/k/id.pub.toml", "-a", p + "/t.pkgar", p + "/out"]).status == 0)
        #expect(try work.read("out/usr/bin/tool") == "tool")
        #expect(try run("pkgar", ["verify", "-p", p + "/k/id.pub.toml", "-a", p + "/t.pkgar", p + "/out"]).status == 0)
        #expect(try run("pkgar", ["split", "-p", p + "/k/id.pub.toml", "-a", p + "/t.pkgar", p + "/t.head", p + "/t.data"]).status == 0)
        #expect(try Posix.readFile(p + "/t.head") + Posix.readFile(p + "/t.data") == Posix.readFile(p + "/t.pkgar"))

        let wrongKey = try run("pkgar", ["list", "-p", p + "/o/id.pub.toml", "-a", p + "/t.pkgar"])
        #expect(wrongKey.status == 1 && wrongKey.output.hasPrefix("error: invalid signature"))
        try work.write("out/usr/bin/tool", "changed")
        let changed = try run("pkgar", ["verify", "-p", p + "/k/id.pub.toml", "-a", p + "/t.pkgar", p + "/out"])
        #expect(changed.status == 1 && changed.output.contains("invalid BLAKE3"))
        let missing = try run("pkgar", ["list", "-p", p + "/k/id.pub.toml", "-a", p + "/none.pkgar"])
        #expect(missing.status == 1 && missing.output.hasPrefix("error: open"))
        let exported = try run("pkgar-keys", ["-s", p + "/k/id.toml", "export"])
        #expect(try exported.output == String(decoding: Posix.readFile(p + "/k/id.pub.toml"), as: UTF8.self))
    }
}
