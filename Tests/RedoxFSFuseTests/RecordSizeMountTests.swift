import Foundation
import RedoxFS
import XCTest

/// `-o record_size=4k`: files created through the mount get 4 KiB records; random writes with
/// fsync survive a remount byte for byte, and the image checks clean.
final class RecordSizeMountTests: MountTestCase {
    func testSmallRecordsThroughTheMount() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("records.img"), megabytes: 256)
        var mounted = try mount(image, arguments: ["-o", "record_size=4k"])
        let path = mounted.mountpoint + "/random.bin"
        let size = 3 << 20
        var model = [UInt8](repeating: 0, count: size)
        var state: UInt64 = 0x4B1D
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 17
        }
        for i in 0..<size { model[i] = UInt8(truncatingIfNeeded: next()) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(model)))
        let descriptor = open(path, O_RDWR)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        // 600 random writes of 1 byte to 12 KiB, some straddling records, an fsync every 50.
        for round in 0..<600 {
            let count = Int(next() % 12288) + 1
            let offset = Int(next() % UInt64(size - count))
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
            let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, count, off_t(offset)) }
            XCTAssertEqual(written, count)
            model.replaceSubrange(offset..<offset + count, with: bytes)
            if round % 50 == 49 { XCTAssertEqual(fsync(descriptor), 0) }
        }
        XCTAssertEqual(fsync(descriptor), 0)
        close(descriptor)
        try mounted.unmount()

        let fileSystem = try FileSystem(path: image, readOnly: true)
        let node = try fileSystem.node(fileSystem.lookup("/random.bin"))
        fileSystem.close()
        XCTAssertEqual(node.recordLevel, 0, "a file created under record_size=4k has 4 KiB records")
        XCTAssertEqual(node.size, UInt64(size))
        try TestImages.assertClean(image)

        // A default mount reads it back (and gives new files upstream's 128 KiB records).
        mounted = try mount(image, at: "again")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: mounted.mountpoint + "/random.bin")), Data(model))
        XCTAssertTrue(FileManager.default.createFile(atPath: mounted.mountpoint + "/later.bin", contents: Data(model[0..<200_000])))
        try mounted.unmount()
        let reopened = try FileSystem(path: image, readOnly: true)
        XCTAssertEqual(try reopened.node(reopened.lookup("/later.bin")).recordLevel, RecordSize.upstream.level)
        reopened.close()
        try TestImages.assertClean(image)
    }

    func testBadRecordSizeIsRefused() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("refused.img"), megabytes: 64)
        XCTAssertThrowsError(try mount(image, arguments: ["-o", "record_size=3k"])) { error in
            XCTAssertTrue("\(error)".contains("record_size"), "\(error)")
        }
    }
}
