import Foundation
import RedoxFSTestSupport
import Testing

/// `repo` given malformed recipes and malformed `--filesystem` configurations (the shared corpus
/// of malformed TOML, the classes that crashed the TOML library first): a clear error naming the
/// file and line, and a non-zero exit; never a signal.
@Suite struct MalformedRecipeTests {
    static var repo: String { Fixtures.tool("repo") }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: MalformedRecipeTests.repo)))
    func everyMalformedRecipeIsAClearError() throws {
        let fixture = try CookbookFixture("malformed-recipes")
        defer { fixture.cleanUp() }
        try fixture.recipe("x", "[build]\ntemplate = \"custom\"\nscript = \"true\"\n")
        let listed = try ToolRun.run(Self.repo, ["cook-list", "x", "--cookbook", fixture.root, "--offline"])
        #expect(listed.exitStatus == 0, "\(listed.output)")
        let recipe = fixture.root + "/recipes/core/x/recipe.toml"
        var refused = 0
        for malformed in MalformedTOML.all {
            try Data(malformed.bytes).write(to: URL(fileURLWithPath: recipe))
            let run = try ToolRun.run(Self.repo, ["cook-list", "x", "--cookbook", fixture.root, "--offline"])
            #expect(run.failedCleanly, "\(malformed.name): \(run.exitStatus.map { "exit \($0)" } ?? "signal \(run.signal ?? 0)")\n\(run.output.prefix(400))")
            #expect(run.output.contains("recipe.toml") && run.output.contains("line \(malformed.line), column "), "\(malformed.name): \(run.output.prefix(400))")
            #expect(run.output.contains(malformed.reason), "\(malformed.name): \(run.output.prefix(400))")
            if run.failedCleanly { refused += 1 }
        }
        #expect(refused == MalformedTOML.all.count)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: MalformedRecipeTests.repo)))
    func everyMalformedFilesystemConfigurationIsAClearError() throws {
        let fixture = try CookbookFixture("malformed-configs")
        defer { fixture.cleanUp() }
        try fixture.recipe("x", "[build]\ntemplate = \"custom\"\nscript = \"true\"\n")
        var refused = 0
        for malformed in MalformedTOML.all {
            let path = fixture.root + "/\(malformed.name).toml"
            try Data(malformed.bytes).write(to: URL(fileURLWithPath: path))
            let run = try ToolRun.run(Self.repo, ["cook-list", "--filesystem", path, "--cookbook", fixture.root, "--offline"])
            #expect(run.failedCleanly, "\(malformed.name): \(run.output.prefix(400))")
            #expect(run.output.contains("\(malformed.name).toml") && run.output.contains("line \(malformed.line), column "), "\(malformed.name): \(run.output.prefix(400))")
            if run.failedCleanly { refused += 1 }
        }
        #expect(refused == MalformedTOML.all.count)
        let fifo = fixture.root + "/fifo.toml"
        #expect(mkfifo(fifo, 0o600) == 0)
        let run = try ToolRun.run(Self.repo, ["cook-list", "--filesystem", fifo, "--cookbook", fixture.root, "--offline"])
        #expect(run.failedCleanly && run.output.contains("not a regular file"), "\(run.output)")
    }
}
