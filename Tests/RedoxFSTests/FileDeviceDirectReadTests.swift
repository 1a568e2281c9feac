import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import RedoxFS
import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// `FileDevice.readBlocksBypassingCache`: the same bytes and errors as `readBlocks`, whether the
/// blocks are cached or not, the buffer aligned or not, the file system allowing O_DIRECT or not.
@Suite struct FileDeviceDirectReadTests {
    static let blockSize = RedoxFS.blockSize
    static let blocks = 96

    /// Block `index`'s expected content in an image made by `makeImage` (distinct per block).
    static func content(_ count: Int, from index: Int, seed: UInt8 = 0) -> [UInt8] {
        (index * blockSize..<(index + count) * blockSize).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) ^ seed }
    }

    /// A file of `blocks` blocks (plus `tail` bytes) in `directory`, written, synced and dropped
    /// from the page cache.
    static func makeImage(in directory: String, tail: Int = 0) throws -> String {
        let path = "\(directory)/direct-read-\(UUID().uuidString).img"
        var bytes = content(blocks, from: 0)
        bytes += [UInt8](repeating: 0x5A, count: tail)
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        try #require(written == bytes.count)
        try #require(fsync(fd) == 0)
        PageCacheDrop.drop(path)
        return path
    }


    /// Where image files read direct on this machine (nil: nowhere).
    static let directFolder = Fixtures.directReadFolder

    /// `directFolder`, or the temporary folder where there is none.
    static var imageFolder: String { directFolder ?? FileManager.default.temporaryDirectory.path }

    /// A buffer of `count` bytes at `misalignment` bytes past an address aligned for direct reads.
    final class Buffer {
        let base: UnsafeMutableRawPointer
        let bytes: UnsafeMutableRawBufferPointer
        init(count: Int, misalignment: Int = 0) {
            base = UnsafeMutableRawPointer.allocate(byteCount: count + 8192, alignment: 4096)
            bytes = UnsafeMutableRawBufferPointer(start: base + misalignment, count: count)
            bytes.initializeMemory(as: UInt8.self, repeating: 0xEE)
        }
        var array: [UInt8] { Array(bytes) }
        deinit { base.deallocate() }
    }

    /// Pages of `path` in `blockRange` that are in the page cache (mmap and mincore).
    static func residentPages(_ path: String, _ blockRange: Range<Int>) throws -> Int {
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let length = blockRange.count * blockSize
        let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, off_t(blockRange.lowerBound * blockSize))
        try #require(map != MAP_FAILED)
        defer { munmap(map, length) }
        var vector = [UInt8](repeating: 0, count: blockRange.count)
        try #require(mincore(map, length, &vector) == 0)
        return vector.filter { $0 & 1 != 0 }.count
    }

    /// Reads `count` blocks at `index` both ways into buffers misaligned by `misalignment`.
    static func readBothWays(_ device: inout FileDevice, at index: UInt64, count: Int, misalignment: Int = 0)
        throws -> (buffered: [UInt8], bypassing: [UInt8])
    {
        let direct = Buffer(count: count * blockSize, misalignment: misalignment)
        try device.readBlocksBypassingCache(at: index, into: direct.bytes)
        let buffered = Buffer(count: count * blockSize, misalignment: misalignment)
        try device.readBlocks(at: index, into: buffered.bytes)
        return (buffered.array, direct.array)
    }

    /// The outcome of a read as an error (nil: it read).
    static func failure(_ read: () throws(FormatError) -> Void) -> FormatError? {
        do throws(FormatError) {
            try read()
            return nil
        } catch {
            return error
        }
    }

    /// Checks every kind of range of an image in `directory`: uncached aligned (left uncached when
    /// the direct path is there), unaligned buffer, cached, partly cached, single blocks.
    /// `expectDirect`: whether the device must read direct there (nil: not known here).
    static func checkRanges(in directory: String, expectDirect: Bool?) throws {
        let path = try makeImage(in: directory)
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: true)
        defer { device.close() }
        if let expectDirect { #expect(device.readsBypassCache == expectDirect) }

        let aligned = Buffer(count: 32 * blockSize)
        try device.readBlocksBypassingCache(at: 8, into: aligned.bytes)
        #expect(aligned.array == content(32, from: 8))
        if expectDirect == true { #expect(try residentPages(path, 8..<40) == 0) }

        let (buffered, bypassing) = try readBothWays(&device, at: 40, count: 16, misalignment: 512)
        #expect(bypassing == content(16, from: 40))
        #expect(buffered == bypassing)

        // Now cached (the buffered read above), then partly cached, then single blocks.
        let cached = try readBothWays(&device, at: 40, count: 16)
        #expect(cached.bypassing == content(16, from: 40))
        let partly = try readBothWays(&device, at: 32, count: 24)
        #expect(partly.bypassing == content(24, from: 32))
        #expect(partly.buffered == partly.bypassing)
        for index in [0, 1, 57, 95] {
            let single = try readBothWays(&device, at: UInt64(index), count: 1)
            #expect(single.bypassing == content(1, from: index))
            #expect(single.buffered == single.bypassing)
        }
    }

    @Test func directAndBufferedReadsGiveTheSameBytes() throws {
        try Self.checkRanges(in: Self.imageFolder, expectDirect: Self.directFolder != nil ? true : nil)
    }

    @Test func aTmpfsImageReadsTheSameBytes() throws {
        // tmpfs takes O_DIRECT since Linux 6.6 and refuses it before: either way the bytes match.
        let path = try Self.makeImage(in: "/dev/shm")
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: true)
        defer { device.close() }
        let both = try Self.readBothWays(&device, at: 3, count: 64)
        #expect(both.bypassing == Self.content(64, from: 3))
        #expect(both.buffered == both.bypassing)
    }

    /// ramfs refuses O_DIRECT (EINVAL on open): every read is buffered, and works.
    @Test func aFileSystemWithoutDirectIOFallsBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ramfs-\(UUID().uuidString)").path
        try #require(mkdir(directory, 0o755) == 0)
        defer { rmdir(directory) }
        guard mount("none", directory, "ramfs", 0, nil) == 0 else {
            print("ramfs could not be mounted (errno \(errno)): skipped")
            return
        }
        defer { umount(directory) }
        try Self.checkRanges(in: directory, expectDirect: false)
    }

    /// The kernel writes dirty cached pages back before a direct read of their range, and the
    /// device reads a range with dirty pages buffered anyway: a write not yet synced is read back.
    @Test func aBufferedWriteNotYetSyncedIsReadBack() throws {
        let path = try Self.makeImage(in: Self.imageFolder)
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: false)
        defer { device.close() }
        if Self.directFolder != nil { try #require(device.readsBypassCache) }
        let fresh = Self.content(4, from: 20, seed: 0xA5)
        try fresh.withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: 20, from: raw) }
        let both = try Self.readBothWays(&device, at: 16, count: 16)
        #expect(both.bypassing == Self.content(4, from: 16) + fresh + Self.content(8, from: 24))
        #expect(both.buffered == both.bypassing)

        // The direct descriptor itself, past the dirty-page rule: the kernel's write-back first.
        guard device.readsBypassCache else { return }  // no direct descriptor on this machine
        let again = Self.content(2, from: 60, seed: 0x3C)
        try again.withBytes { (raw) throws(FormatError) in try device.writeBlocks(at: 60, from: raw) }
        let buffer = Buffer(count: 8 * Self.blockSize)
        #expect(device.direct.read(at: UInt64(56 * Self.blockSize), into: buffer.bytes) == buffer.bytes.count)
        #expect(buffer.array == Self.content(4, from: 56) + again + Self.content(2, from: 62))
    }

    /// Past the end of the device, at the end of an image with a partial last block, and in a
    /// file cut short after it was opened: the same blocks or the same errors both ways.
    @Test func theEndOfTheImageAndErrorsAreUnchanged() throws {
        let path = try Self.makeImage(in: Self.imageFolder, tail: 100)
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: true)
        defer { device.close() }
        #expect(device.blockCount == UInt64(Self.blocks))
        let last = try Self.readBothWays(&device, at: UInt64(Self.blocks - 8), count: 8)
        #expect(last.bypassing == Self.content(8, from: Self.blocks - 8))

        let past = Buffer(count: 4 * Self.blockSize)
        let bufferedPast = Self.failure { () throws(FormatError) in try device.readBlocks(at: UInt64(Self.blocks - 2), into: past.bytes) }
        let directPast = Self.failure { () throws(FormatError) in
            try device.readBlocksBypassingCache(at: UInt64(Self.blocks - 2), into: past.bytes)
        }
        #expect(bufferedPast == .io(block: UInt64(Self.blocks - 2), code: EIO))
        #expect(directPast == bufferedPast)

        // Cut the file to 70 blocks and 100 bytes: reads over the cut come up short.
        try #require(truncate(path, off_t(70 * Self.blockSize + 100)) == 0)
        for (index, count) in [(64, 16), (70, 1), (72, 4)] {
            let one = Buffer(count: count * Self.blockSize)
            let two = Buffer(count: count * Self.blockSize)
            let buffered = Self.failure { () throws(FormatError) in try device.readBlocks(at: UInt64(index), into: one.bytes) }
            let bypassing = Self.failure { () throws(FormatError) in
                try device.readBlocksBypassingCache(at: UInt64(index), into: two.bytes)
            }
            #expect(buffered == .io(block: UInt64(index), code: EIO))
            #expect(bypassing == buffered)
        }
        let whole = try Self.readBothWays(&device, at: 60, count: 10)
        #expect(whole.bypassing == Self.content(10, from: 60))
    }

    /// An image inside a larger file at an offset that is not 4096-aligned reads buffered.
    @Test func anUnalignedPartitionOffsetReadsBuffered() throws {
        let path = try Self.makeImage(in: Self.imageFolder)
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: true, byteOffset: 512)
        defer { device.close() }
        #expect(!device.readsBypassCache)
        let both = try Self.readBothWays(&device, at: 2, count: 8)
        #expect(both.buffered == both.bypassing)
        #expect(Array(both.bypassing[0..<Self.blockSize - 512]) == Array(Self.content(1, from: 2)[512...]))
    }
}
