import Foundation
import RedoxFS
import RedoxFSCheck
import RedoxFSTestSupport
import XCTest

/// Images for the mount tests: fresh ones made with the engine, the upstream fixtures (listed by
/// the shared `Fixtures`, unpacked into the test's scratch folder so that each test writes its own
/// copy), and the offline checks run on an image after it is unmounted.
enum TestImages {
    static let fixturePassword = String(decoding: Fixtures.password, as: UTF8.self)

    /// Every upstream fixture image and whether it is encrypted.
    static var fixtures: [(name: String, encrypted: Bool)] { Fixtures.images }

    /// Unpacks fixture `name` into `folder` as `name.img` and returns its path.
    static func fixture(_ name: String, into folder: ScratchFolder) throws -> String {
        let source = Fixtures.directory.appendingPathComponent("\(name).img.zst").path
        guard FileManager.default.fileExists(atPath: source) else { throw TestEnvironment.unavailable("fixture \(source) is missing") }
        let target = folder.path("\(name).img")
        try CommandRunner.check(["zstd", "-q", "-d", "-f", source, "-o", target])
        return target
    }

    /// The fixture's manifest text.
    static func manifest(_ name: String) throws -> String { try Fixtures.manifest(name) }

    /// Makes an empty file system of `megabytes` MiB at `path` (a sparse file), optionally encrypted.
    @discardableResult
    static func make(_ path: String, megabytes: Int, password: String? = nil) throws -> String {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(megabytes) << 20)
        try handle.close()
        let device = try FileDevice.open(path: path, readOnly: false)
        let fileSystem = try FileSystem.format(device: device, options: FormatOptions(password: password.map { Array($0.utf8) }))
        fileSystem.close()
        return path
    }

    /// Formats the region `[offset, offset + length)` of `path` (a partition).
    static func format(_ path: String, offset: UInt64, length: UInt64) throws -> String {
        let device = try FileDevice.open(path: path, readOnly: false, byteOffset: offset, byteLength: length)
        let fileSystem = try FileSystem.format(device: device)
        let uuid = fileSystem.uuidString
        fileSystem.close()
        return uuid
    }

    /// Runs the checker on the image at `path` and fails the test on any error, and on any
    /// warning unless `allowWarnings` (upstream's own images carry harmless ones, such as the
    /// invalid slot-0 header of an encrypted image or stale records past a truncated end).
    static func assertClean(
        _ path: String, password: String? = nil, offset: UInt64 = 0, length: UInt64? = nil, allowWarnings: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let device = try FileDevice.open(path: path, readOnly: true, byteOffset: offset, byteLength: length)
        defer { device.close() }
        let report = try FileSystemChecker.check(
            device: device, options: CheckOptions(password: password.map { Array($0.utf8) }))
        let problems = report.problems.prefix(20).map { "\($0.severity) \($0.code): \($0.message)" }.joined(separator: "\n")
        XCTAssertEqual(report.errors, 0, "fsck found errors in \(path):\n\(problems)", file: file, line: line)
        if !allowWarnings {
            XCTAssertEqual(report.warnings, 0, "fsck found warnings in \(path):\n\(problems)", file: file, line: line)
        }
    }

    /// The image's manifest (every path with its metadata), read with the engine: a full dump.
    static func dump(_ path: String, password: String? = nil) throws -> Manifest {
        let fileSystem = try FileSystem(path: path, readOnly: true, password: password.map { Array($0.utf8) })
        defer { fileSystem.close() }
        return try Manifest(fileSystem: fileSystem, imageName: URL(fileURLWithPath: path).lastPathComponent)
    }
}
