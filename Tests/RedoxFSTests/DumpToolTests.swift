import Foundation
import RedoxFSTestSupport
import Testing

/// `redoxfs-dump` as a person runs it: output, passwords from a file or a pipe, errors and exit codes.
@Suite struct DumpToolTests {
    static let dump = Fixtures.tool("redoxfs-dump")

    @Test func dumpsAFixtureExactly() throws {
        let result = try Fixtures.run(Self.dump, [try Fixtures.image("ar-htree2")])
        #expect(result.status == 0)
        #expect(String(decoding: result.output, as: UTF8.self) == (try Fixtures.manifest("ar-htree2")))
    }

    @Test func passwordFromFileAndFromStandardInput() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID())").path
        try "correct horse\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try Fixtures.run(Self.dump, ["--password-file", file, try Fixtures.image("mkfs-empty-encrypted")])
        #expect(fromFile.status == 0)
        #expect(String(decoding: fromFile.output, as: UTF8.self) == (try Fixtures.manifest("mkfs-empty-encrypted")))
        let fromPipe = try Fixtures.run(Self.dump, [try Fixtures.image("mkfs-empty-encrypted")], input: Data("correct horse\n".utf8))
        #expect(fromPipe.status == 0)
    }

    @Test func wrongPasswordIsAClearError() throws {
        let result = try Fixtures.run(Self.dump, [try Fixtures.image("mkfs-empty-encrypted")], input: Data("wrong\n".utf8))
        #expect(result.status != 0)
        #expect(String(decoding: result.error, as: UTF8.self).contains("wrong password"))
        #expect(result.output.isEmpty)
    }

    @Test func damagedAndMissingImagesAreClearErrors() throws {
        let missing = try Fixtures.run(Self.dump, ["/nonexistent/image.img"])
        #expect(missing.status != 0)
        #expect(String(decoding: missing.error, as: UTF8.self).contains("No such file"))
        let random = FileManager.default.temporaryDirectory.appendingPathComponent("random-\(UUID()).img").path
        _ = FileManager.default.createFile(atPath: random, contents: Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }))
        let garbage = try Fixtures.run(Self.dump, [random])
        #expect(garbage.status != 0)
        #expect(String(decoding: garbage.error, as: UTF8.self).contains("no valid RedoxFS header"))
    }

    @Test func jsonOutputDecodes() throws {
        let result = try Fixtures.run(Self.dump, ["--json", try Fixtures.image("mkfs-empty")])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: result.output) as? [String: Any]
        #expect(object?["uuid"] as? String == "a32ba6db-c688-432f-8f40-bd7297b39990")
        #expect((object?["entries"] as? [Any])?.count == 1)
    }
}
