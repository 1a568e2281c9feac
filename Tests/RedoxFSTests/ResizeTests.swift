import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// Growing and shrinking in the engine, and redoxfs-resize on image files.
@Suite struct ResizeTests {
    /// A device of `blocks` blocks holding the first bytes of `device` (the rest zero).
    static func copy(_ device: MemoryDevice, blocks: UInt64) -> MemoryDevice {
        var bytes = device.bytes
        let wanted = Int(blocks) * RedoxFS.blockSize
        if bytes.count < wanted { bytes += [UInt8](repeating: 0, count: wanted - bytes.count) } else { bytes.removeLast(bytes.count - wanted) }
        return MemoryDevice(bytes: bytes)
    }

    static func fill(_ fs: FileSystem) throws -> [(UInt32, [UInt8])] {
        var files: [(UInt32, [UInt8])] = []
        for i in 0..<12 {
            let id = try fs.create(Array("f\(i)".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
            let data = WritePathTests.pattern(150_000 + i * 4000, seed: UInt64(i))
            try fs.write(id, at: 0, data)
            files.append((id, data))
        }
        try fs.sync()
        return files
    }

    static func verify(_ fs: FileSystem, _ files: [(UInt32, [UInt8])]) throws {
        for (id, data) in files { #expect(try fs.read(id, at: 0, count: data.count) == data) }
        try SpaceInvariant.check(fs)
    }

    @Test(arguments: [false, true])
    func growThenShrinkToMinimum(encrypted: Bool) throws {
        let password: [UInt8]? = encrypted ? Array("pw".utf8) : nil
        let small = MemoryDevice(blockCount: 2048)
        let files = try Self.fill(try FileSystem.format(device: small, options: FormatOptions(password: password)))

        // Grow into a bigger device.
        let big = Self.copy(small, blocks: 6000)
        let fs = try FileSystem(device: big, password: password, writable: true)
        let freeBefore = try fs.statistics().freeBlocks
        try fs.resize(to: 5000 * 4096 + 123)
        #expect(fs.header.size == 5000 * 4096)
        let freeAfter = try fs.statistics().freeBlocks
        #expect(freeAfter + 2 >= freeBefore + (5000 - 2048) && freeAfter <= freeBefore + (5000 - 2048) + 2)
        let grown = try FileSystem(device: big, password: password, writable: true)
        #expect(grown.header.blockCount == 5000)
        try Self.verify(grown, files)
        // New space is usable.
        let late = try grown.create(Array("late".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try grown.write(late, at: 0, WritePathTests.pattern(2 << 20, seed: 99))
        try grown.unlink(Array("f3".utf8), in: 1)
        try grown.cleanup()

        // Shrink to the minimum; below it is refused.
        let minimum = try grown.minimumSize()
        #expect(minimum < 5000 * 4096)
        #expect(throws: FileSystemError.self) { try grown.resize(to: minimum - 4096) }
        try grown.resize(to: minimum)
        let shrunk = try FileSystem(device: Self.copy(big, blocks: minimum / 4096), password: password, writable: true)
        #expect(shrunk.header.size == minimum)
        try Self.verify(shrunk, files.filter { $0.0 != files[3].0 })
        #expect(try shrunk.read(late, at: 0, count: 16) == Array(WritePathTests.pattern(16, seed: 99)))
        #expect(try shrunk.minimumSize() <= minimum)
    }

    @Test func refusesSizesTheDeviceCannotHold() throws {
        let device = MemoryDevice(blockCount: 1024)
        let fs = try FileSystem.format(device: device)
        #expect(throws: FileSystemError.self) { try fs.resize(to: 2048 * 4096) }
        #expect(throws: FileSystemError.self) { try fs.resize(to: 100 * 4096) }
        try fs.resize(to: 1024 * 4096)
        try SpaceInvariant.check(fs)
    }

    @Test func commandLine() throws {
        let folder = ArchiveToolTests.scratch("resize")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let image = folder + "/disk.img"
        #expect(try ArchiveToolTests.run("redoxfs-mkfs", ["--size", "8MiB", image]).status == 0)
        let fs = try FileSystem(path: image, readOnly: false)
        let id = try fs.create(Array("keep".utf8), in: 1, mode: 0o100644, uid: 0, gid: 0)
        try fs.write(id, at: 0, WritePathTests.pattern(1 << 20, seed: 5))
        try fs.unmount()

        // Past the end of the file: the file grows first.
        var result = try ArchiveToolTests.run("redoxfs-resize", [image, "24MiB"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("new size: 25.17 MB (24 MiB)"), "\(result.output)")
        #expect(result.output.contains("growing by 16777216"))
        #expect(try Self.fileLength(image) == 24 << 20)

        result = try ArchiveToolTests.run("redoxfs-resize", [image, "min"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("shrinking by"))
        let length = try Self.fileLength(image)
        #expect(length < 4 << 20 && length % 4096 == 0, "the file was not cut: \(length)")

        result = try ArchiveToolTests.run("redoxfs-resize", [image, "1MB"])
        #expect(result.status != 0 && result.error.contains("must lie between"))

        let reopened = try FileSystem(path: image)
        defer { reopened.close() }
        #expect(reopened.header.size == length)
        #expect(try reopened.read(reopened.lookup("/keep"), at: 0, count: 1 << 20) == WritePathTests.pattern(1 << 20, seed: 5))
        try SpaceInvariant.check(reopened)
    }

    /// The length of a file.
    static func fileLength(_ path: String) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
    }
}
