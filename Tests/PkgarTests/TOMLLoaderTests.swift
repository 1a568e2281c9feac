import Foundation
import Glibc
import RedoxFSTestSupport
import Testing
@testable import Pkgar

/// The shared TOML loader: every malformed document is an error naming its line, never a crash;
/// only regular files of sane size are read.
@Suite struct TOMLLoaderTests {
    /// Decodes and parses like a file read would.
    func load(_ bytes: [UInt8]) throws(TOMLLoadError) {
        _ = try TOMLLoader.parse(TOMLLoader.text(bytes, file: "bad.toml"), file: "bad.toml")
    }

    @Test(arguments: MalformedTOML.all)
    func malformedDocumentsAreErrorsWithTheirLine(_ malformed: MalformedTOML.Case) {
        do {
            try load(malformed.bytes)
            Issue.record("accepted \(malformed.name)")
        } catch {
            #expect(error.file == "bad.toml")
            #expect(error.line == malformed.line, "\(error)")
            #expect(error.reason.contains(malformed.reason), "\(error)")
            #expect(error.description.hasPrefix("bad.toml: line \(malformed.line), column "), "\(error)")
        }
    }

    /// The crashing classes are caught by the pre-check itself (before toml++ sees them).
    @Test(arguments: MalformedTOML.crashing)
    func crashingClassesStopAtThePrecheck(_ malformed: MalformedTOML.Case) throws {
        let problem = try #require(TOMLPrecheck.problem(in: malformed.text))
        #expect(problem.line == malformed.line)
        #expect(problem.column >= 1)
    }

    /// Nesting up to the limit parses; one more level is refused (dotted keys under a header,
    /// arrays, inline tables).
    @Test func nestingLimitIsExact() throws {
        let limit = TOMLPrecheck.maximumDepth
        func dotted(_ count: Int) -> String { Array(repeating: "k", count: count).joined(separator: ".") }
        _ = try TOMLLoader.parse("[" + dotted(limit / 2) + "]\n" + dotted(limit - limit / 2) + " = 1\n", file: "ok.toml")
        #expect(throws: TOMLLoadError.self) {
            try TOMLLoader.parse("[" + dotted(limit / 2) + "]\n" + dotted(limit - limit / 2 + 1) + " = 1\n", file: "deep.toml")
        }
        // `x` is level 1; each bracket adds one.
        _ = try TOMLLoader.parse("x = " + String(repeating: "[", count: limit - 1) + String(repeating: "]", count: limit - 1), file: "ok.toml")
        #expect(throws: TOMLLoadError.self) {
            try TOMLLoader.parse("x = " + String(repeating: "[", count: limit) + String(repeating: "]", count: limit), file: "deep.toml")
        }
        _ = try TOMLLoader.parse("x = " + String(repeating: "{a=", count: limit - 1) + "1" + String(repeating: "}", count: limit - 1), file: "ok.toml")
        // Many siblings are not depth.
        let wide = (0..<5_000).map { "[t\($0).a.b]\nk = [[1], [2], {c = 3}]\n" }.joined()
        #expect(try TOMLLoader.parse(wide, file: "wide.toml").keys.count == 5_000)
    }

    /// What the pre-check must not refuse: the documents of this repository and valid TOML that
    /// looks like the crashing classes inside strings and comments.
    @Test func validDocumentsPass() throws {
        let root = Fixtures.packageRoot.path
        var paths = try FileManager.default.contentsOfDirectory(atPath: root + "/installer/config")
            .filter { $0.hasSuffix(".toml") }.map { root + "/installer/config/" + $0 }
        for category in try FileManager.default.contentsOfDirectory(atPath: root + "/recipes") {
            for recipe in (try? FileManager.default.contentsOfDirectory(atPath: root + "/recipes/" + category)) ?? [] {
                let path = root + "/recipes/" + category + "/" + recipe + "/recipe.toml"
                if FileManager.default.fileExists(atPath: path) { paths.append(path) }
            }
        }
        #expect(paths.count >= 10)
        for path in paths {
            let text = try TOMLLoader.readText(path)
            #expect(TOMLPrecheck.problem(in: text) == nil, "\(path)")
            _ = try TOMLLoader.parse(text, file: path)
        }
        let lookalikes = """
            s = "[.x] a = [}] \\\\u0000 é"
            l = '[/x] {,} \\u0000'
            m = \"\"\"
            [.x]
            a = [}]
            \"\"\"
            n = '''
            [ é]'''
            q = \"\"\"x\"\"\"\"
            # [.x] a = [}] é \\u0000
            "quoted.é" = 1
            date = 1979-05-27T07:32:00-07:00
            f = 1.5e3
            t = { a = 1, b = { c = [ "x", 'y', [1.5] ] }, e = {} }
            v = \"\"\"\\
              continued \\u0041\"\"\"
            [ "a b" . c ]
            [[ arr ]]
            """
        let table = try TOMLLoader.parse(lookalikes, file: "lookalikes.toml")
        #expect(table["q"]?.string == "x\"")
        #expect(table["v"]?.string == "continued A")
        #expect(table["s"]?.string == "[.x] a = [}] \\u0000 é")
        #expect(try TOMLLoader.parse("\u{FEFF}a = 1\n", file: "bom.toml")["a"]?.int == 1)
        #expect(try TOMLLoader.text([0xEF, 0xBB, 0xBF] + Array("a = 1\n".utf8), file: "bom.toml") == "a = 1\n")
    }

    /// Only regular files of sane size are read: a FIFO does not block, /dev/zero does not run
    /// forever, a directory and a missing file are clear errors.
    @Test func hostilePathsAreClearErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("toml-loader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/fifo.toml"
        #expect(mkfifo(fifo, 0o600) == 0)
        let big = folder + "/big.toml"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, off_t(TOMLLoader.maximumSize + 1)) == 0)
        let cases = [
            (fifo, "not a regular file"), ("/dev/zero", "not a regular file"), (folder, "a directory"),
            (folder + "/missing.toml", "cannot open"), (big, "larger than 16 MiB"),
        ]
        for (path, reason) in cases {
            do {
                _ = try TOMLLoader.load(path)
                Issue.record("read \(path)")
            } catch {
                #expect(error.file == path)
                #expect(error.reason.contains(reason), "\(error)")
            }
        }
        let good = folder + "/good.toml"
        try "[package]\nversion = \"1\"\n".write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try TOMLLoader.load(good)["package"]?["version"]?.string == "1")
    }
}
