import Foundation
import RedoxFSTestSupport
import Testing
@testable import Cookbook

/// The `repo` executable end to end, and recipe parsing under random damage.
@Suite struct CommandLineTests {
    /// The built `repo` next to the test bundle (.build/debug/repo).
    static var repoExecutable: String { Fixtures.tool("repo") }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.repoExecutable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COOKBOOK_MAKE_JOBS"] = "2"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.repoExecutable)))
    func cookFromAnInstallerConfiguration() throws {
        let fixture = try CookbookFixture()
        defer { fixture.cleanUp() }
        try fixture.recipe("etc-files", "[build]\ntemplate = \"custom\"\nscript = \"mkdir -p \\\"$COOKBOOK_STAGE/etc\\\" && echo hi > \\\"$COOKBOOK_STAGE/etc/hi\\\"\"\n", files: ["source/.keep": ""])
        try fixture.recipe("broken", "[build]\ntemplate = \"custom\"\nscript = \"echo failing on purpose; exit 3\"\n", files: ["source/.keep": ""])
        try fixture.write("config/base.toml", "[packages]\netc-files = {}\n")
        try fixture.write("config/image.toml", "include = [\"base.toml\"]\n[packages]\nbroken = \"ignore\"\n")
        let common = ["--cookbook", fixture.root, "--offline"]
        let cooked = try run(["cook"] + common + ["--filesystem", fixture.root + "/config/image.toml"])
        #expect(cooked.status == 0, "\(cooked.output)")
        #expect(cooked.output.contains("cook etc-files - successful"))
        #expect(fixture.exists("repo/x86_64-unknown-redox/etc-files.pkgar"))
        #expect(fixture.exists("repo/id_ed25519.pub.toml"))
        let again = try run(["cook"] + common + ["--filesystem", fixture.root + "/config/image.toml"])
        #expect(again.output.contains("cook etc-files - cached"))

        let failed = try run(["cook"] + common + ["broken"])
        #expect(failed.status == 1)
        #expect(failed.output.contains("cook broken - failed") && failed.output.contains("failing on purpose"))
        let missing = try run(["cook"] + common + ["nothing-here"])
        #expect(missing.status == 1 && missing.output.contains("error: recipe \"nothing-here\" not found"))

        let pushed = try run(["push"] + common + ["--sysroot", fixture.root + "/sysroot", "etc-files"])
        #expect(pushed.status == 0, "\(pushed.output)")
        #expect(try fixture.read("sysroot/etc/hi") == "hi\n")
        #expect(fixture.exists("sysroot/var/lib/packages/etc-files.pkgar_head"))
        #expect(try fixture.read("sysroot/etc/pkg/packages.toml").contains("[installed.etc-files]"))
        let listed = try run(["cook-list"] + common + ["etc-files"])
        #expect(listed.output.contains("etc-files - cached"))
    }

    /// Bounded random damage to a valid recipe: every result parses or throws, never crashes.
    @Test func damagedRecipesParseOrFailCleanly() {
        let valid = Array("""
            [source]
            path = "../x"
            [build]
            template = "custom"
            dependencies = ["a", "host:b"]
            script = "make"
            [package]
            version = "1.0"
            [[optional-packages]]
            name = "doc"
            files = ["usr/*"]
            """.utf8)
        var random = SplitMix64(state: 0x9E37_79B9_7F4A_7C15)
        let alphabet = Array("[]=\"'{}.,:\n #\\ax0".utf8)
        var parsed = 0
        for _ in 0..<400 {
            var bytes = valid
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let index = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: index)
                }
            }
            if (try? Recipe(text: String(decoding: bytes, as: UTF8.self), directory: "/r/fuzz")) != nil { parsed += 1 }
        }
        #expect(parsed < 400, "damage is detected at least sometimes")
    }
}
