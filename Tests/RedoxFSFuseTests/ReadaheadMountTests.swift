import Foundation
import Glibc
import RedoxFSTestSupport
import XCTest

/// The mount's readahead is 1 MiB from its first request on (raised inside the init request,
/// before its reply): a file opened the moment the mount comes up, as `dd` right after a mount,
/// is read in READs of 1 MiB (an encrypted file's large READs are split over both processors)
/// rather than keeping the 128 KiB a FUSE mount starts with for as long as it stays open.
final class ReadaheadMountTests: MountTestCase {
    static let fileSize = 6 << 20

    /// "major:minor" of the FUSE mount at `mountpoint` (/proc/self/mountinfo).
    static func device(of mountpoint: String) -> String? {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 4, fields[4] == mountpoint { return String(fields[2]) }
        }
        return nil
    }

    func testFileOpenedAtOnceIsReadInOneMegabyteReads() throws {
        try check(password: nil)
    }

    func testEncryptedFileOpenedAtOnceIsReadInOneMegabyteReads() throws {
        try check(password: "readahead words")
    }

    func check(password: String?) throws {
        let image = try TestImages.make(folder.path("readahead.img"), megabytes: 64, password: password)
        var generator = SplitMix64(state: password == nil ? 0x4EAD : 0x4EAE)
        let model = generator.bytes(Self.fileSize)
        let fill = try mount(image, at: "fill", password: password)
        XCTAssertTrue(FileManager.default.createFile(atPath: fill.mountpoint + "/f", contents: Data(model)))
        try fill.unmount()
        dropFromPageCache(image)

        let mounted = try mount(image, at: "cold", arguments: ["--debug"], password: password)
        // The first request waits for the init reply; the readahead is raised by then.
        let descriptor = open(mounted.mountpoint + "/f", O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        if let device = Self.device(of: mounted.mountpoint),
           let value = try? String(contentsOfFile: "/sys/class/bdi/\(device)/read_ahead_kb", encoding: .utf8) {
            XCTAssertEqual(value.trimmingCharacters(in: .whitespacesAndNewlines), "1024")
        }
        var bytes = [UInt8](repeating: 0, count: Self.fileSize + 1)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + done, min(1 << 20, $0.count - done)) }
            XCTAssertGreaterThanOrEqual(count, 0)
            if count <= 0 { break }
            done += count
        }
        close(descriptor)
        XCTAssertEqual(done, Self.fileSize)
        XCTAssertTrue(bytes.prefix(done).elementsEqual(model))
        try mounted.unmount()
        // READ replies of 1 MiB (and a 16-byte header) in the daemon's request log.
        let megabyteReads = mounted.log.components(separatedBy: "outsize: \((1 << 20) + 16)").count - 1
        XCTAssertGreaterThan(megabyteReads, 0, "no READ of 1 MiB")
        try TestImages.assertClean(image, password: password)
    }
}
