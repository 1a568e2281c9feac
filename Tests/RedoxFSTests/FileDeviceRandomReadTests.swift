import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import RedoxFS
import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import Testing

/// `EngineLock.readingAtRandom` (the FUSE mount's small random READs): a small read of a cold
/// image inside it reads its blocks alone, through the descriptor without readahead; the same
/// read outside it keeps the kernel's readahead. Only where the page cache of the image's folder
/// can be dropped (`Fixtures.directReadFolder`); the bytes are the file's either way.
@Suite struct FileDeviceRandomReadTests {
    typealias Image = FileDeviceDirectReadTests

    /// Reads block 0 of a cold image (a read at a file's start opens a readahead window) inside
    /// or outside `readingAtRandom`; the pages of the image in the page cache afterwards.
    func pagesCachedAfterReadingBlockZero(atRandom: Bool, in folder: String) throws -> Int {
        let path = try Image.makeImage(in: folder)
        defer { unlink(path) }
        var device = try FileDevice.open(path: path, readOnly: true)
        defer { device.close() }
        let buffer = Image.Buffer(count: Image.blockSize)
        if atRandom {
            try EngineLock.readingAtRandom { () throws(FormatError) in try device.readBlocks(at: 0, into: buffer.bytes) }
        } else {
            try device.readBlocks(at: 0, into: buffer.bytes)
        }
        #expect(buffer.array == Image.content(1, from: 0))
        return try Image.residentPages(path, 0..<Image.blocks)
    }

    @Test func smallReadsAtRandomReadNoMoreThanTheirBlocks() throws {
        let folder = Fixtures.directReadFolder ?? "/var/tmp"
        let atRandom = try pagesCachedAfterReadingBlockZero(atRandom: true, in: folder)
        #expect(!EngineLock.readsAtRandom, "the scope ends with its body")
        guard Fixtures.directReadFolder != nil else { return }
        #expect(atRandom == 1, "\(atRandom) pages cached after a read of one block at random")
        // The same read with readahead: the kernel reads ahead of a file's first block (where the
        // folder's disk reads ahead at all: `read_ahead_kb` may be 0 in a VM).
        let ahead = try pagesCachedAfterReadingBlockZero(atRandom: false, in: folder)
        if Self.diskReadsAhead(folder) {
            #expect(ahead > 1, "\(ahead) pages cached after a read of one block with readahead")
        }
    }

    /// Whether the block device under `folder` has a readahead window (its `read_ahead_kb`, or
    /// its disk's for a partition); true when that cannot be found out.
    static func diskReadsAhead(_ folder: String) -> Bool {
        var status = stat()
        guard stat(folder, &status) == 0 else { return true }
        // glibc's encoding of a device number (the major/minor macros are not imported).
        let number = UInt64(status.st_dev)
        let major = ((number >> 8) & 0xFFF) | ((number >> 32) & ~0xFFF)
        let minor = (number & 0xFF) | ((number >> 12) & ~0xFF)
        let device = "/sys/dev/block/\(major):\(minor)"
        for path in [device + "/queue/read_ahead_kb", device + "/../queue/read_ahead_kb"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let kilobytes = Int(text.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines)) {
                return kilobytes > 0
            }
        }
        return true
    }

    @Test func scopesNestAndEnd() {
        #expect(!EngineLock.readsAtRandom)
        EngineLock.readingAtRandom {
            #expect(EngineLock.readsAtRandom)
            EngineLock.readingAtRandom { #expect(EngineLock.readsAtRandom) }
            #expect(EngineLock.readsAtRandom)
        }
        #expect(!EngineLock.readsAtRandom)
    }
}
