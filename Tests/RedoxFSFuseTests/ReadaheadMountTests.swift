import Foundation
import Glibc
import RedoxFSTestSupport
import XCTest

/// The mount's readahead is 1 MiB from its first request on (raised inside the init request,
/// before its reply): a file opened the moment the mount comes up, as `dd` right after a mount,
/// does not keep the 128 KiB a FUSE mount starts with for as long as it stays open. READs are at
/// most 128 KiB by default (the readahead goes out as several READs at once) or the
/// `-o max_read=N` given (which libfuse once refused with a protocol error).
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

    func testFileOpenedAtOnceHasTheMegabyteReadahead() throws {
        try check(password: nil)
    }

    func testEncryptedFileOpenedAtOnceHasTheMegabyteReadahead() throws {
        try check(password: "readahead words")
    }

    func testMaximumReadOptionLimitsReads() throws {
        try check(password: nil, maximumRead: 64 << 10)
    }

    func check(password: String?, maximumRead: Int? = nil) throws {
        let image = try TestImages.make(folder.path("readahead.img"), megabytes: 64, password: password)
        var generator = SplitMix64(state: password == nil ? 0x4EAD : 0x4EAE)
        let model = generator.bytes(Self.fileSize)
        let fill = try mount(image, at: "fill", password: password)
        XCTAssertTrue(FileManager.default.createFile(atPath: fill.mountpoint + "/f", contents: Data(model)))
        try fill.unmount()
        dropFromPageCache(image)

        let options = maximumRead.map { ["-o", "max_read=\($0)"] } ?? []
        let mounted = try mount(image, at: "cold", arguments: ["--debug"] + options, password: password)
        // The first request waits for the init reply; the readahead is raised by then.
        let descriptor = open(mounted.mountpoint + "/f", O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        let device = Self.device(of: mounted.mountpoint)
        XCTAssertNotNil(device, "the mount is not in /proc/self/mountinfo")
        // The daemon raises it as best it can: where /sys cannot be written (a container with a
        // read-only /sys) it stays as it was.
        let setting = device.map { "/sys/class/bdi/\($0)/read_ahead_kb" }
        if let setting, access(setting, W_OK) == 0 {
            let value = try String(contentsOfFile: setting, encoding: .utf8)
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
        XCTAssertTrue(ByteComparison.same(Array(bytes.prefix(done)), model))
        try mounted.unmount()
        // READ replies (a 16-byte header and the data) in the daemon's request log: the largest
        // is the session's maximum read.
        let limit = maximumRead ?? (128 << 10)
        let sizes = mounted.log.components(separatedBy: "outsize: ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertTrue(sizes.contains(limit + 16), "no READ of \(limit) bytes")
        XCTAssertLessThanOrEqual(sizes.max() ?? 0, limit + 16)
        try TestImages.assertClean(image, password: password)
    }
}
