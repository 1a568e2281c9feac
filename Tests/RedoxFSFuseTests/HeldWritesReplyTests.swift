import Foundation
import RedoxFS
import RedoxFSTestSupport
import XCTest

/// Replies that carry a file's size and blocks, or the free space, show the writes the mount
/// has answered but still holds (`WriteCoalescer`): a first LOOKUP of another name of the file,
/// a readdirplus listing and STATFS report what a settled mount reports (the blocks a GETATTR
/// forced past the kernel's cache sees, the free space after that GETATTR handed the pages
/// over), not the state before the held pages.
final class HeldWritesReplyTests: MountTestCase {
    func testLookupReaddirplusAndStatfsShowHeldWrites() throws {
        let folder = try self.folder
        let image = try TestImages.make(folder.path("held.img"), megabytes: 64)
        var generator = SplitMix64(state: 0x5E77)
        // Three files of four 128 KiB records, in directories of their own; `links/one` is a
        // second name of `a/one` that the next mount has not looked up yet.
        let first = try mount(image, at: "first", arguments: ["--commit-interval", "0"])
        for directory in ["a", "b", "c", "links"] { XCTAssertEqual(mkdir(first.mountpoint + "/" + directory, 0o755), 0) }
        for (directory, name) in [("a", "one"), ("b", "two"), ("c", "three")] {
            let descriptor = open(first.mountpoint + "/\(directory)/\(name)", O_RDWR | O_CREAT, 0o644)
            XCTAssertGreaterThanOrEqual(descriptor, 0)
            XCTAssertEqual(WritebackCoalescingTests.pwrite(descriptor, generator.bytes(4 << 17), at: 0), 4 << 17)
            XCTAssertEqual(close(descriptor), 0)
        }
        XCTAssertEqual(link(first.mountpoint + "/a/one", first.mountpoint + "/links/one"), 0)
        try first.unmount()

        let mounted = try mount(image, arguments: ["--commit-interval", "0", "-o", "noatime"])
        let root = mounted.mountpoint

        // LOOKUP: the first look-up of the second name reports the file's attributes.
        let one = try holdWrites(to: root + "/a/one", generator: &generator)
        let looked = try Self.statx(root + "/links/one", flags: Self.dontSync)
        let settledOne = try Self.statx(root + "/a/one", flags: Self.forceSync)
        XCTAssertEqual(looked.blocks, settledOne.blocks, "blocks from the LOOKUP")
        XCTAssertEqual(looked.size, settledOne.size)

        // readdirplus: the listing's entry reports the file's attributes.
        let two = try holdWrites(to: root + "/b/two", generator: &generator)
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/b")
        XCTAssertEqual(names, ["two"])
        let listed = try Self.statx(root + "/b/two", flags: Self.dontSync)
        var plain = stat()
        XCTAssertEqual(stat(root + "/b/two", &plain), 0)
        let settledTwo = try Self.statx(root + "/b/two", flags: Self.forceSync)
        XCTAssertEqual(listed.blocks, settledTwo.blocks, "blocks from the readdirplus entry")
        XCTAssertEqual(UInt64(plain.st_blocks), settledTwo.blocks, "stat after the listing")

        // STATFS: the free space counts the held records.
        let three = try holdWrites(to: root + "/c/three", generator: &generator)
        var before = statvfs()
        XCTAssertEqual(statvfs(root, &before), 0)
        _ = try Self.statx(root + "/c/three", flags: Self.forceSync)  // GETATTR hands the pages over
        var settled = statvfs()
        XCTAssertEqual(statvfs(root, &settled), 0)
        XCTAssertEqual(before.f_bfree, settled.f_bfree, "free blocks with held writes")
        XCTAssertEqual(before.f_bavail, settled.f_bavail)

        XCTAssertEqual(close(one), 0)
        XCTAssertEqual(close(two), 0)
        XCTAssertEqual(close(three), 0)
        try mounted.unmount()
        try TestImages.assertClean(image)
    }

    /// Opens `path` and leaves two writes into new records past its end held by the mount: a
    /// first page written back at once (the file's first write in this mount goes to the engine
    /// and tells the mount its record size), then two runs inside records 4 and 5, written back
    /// by `sync_file_range` (no fsync, nothing that settles). Returns the descriptor.
    private func holdWrites(to path: String, generator: inout SplitMix64) throws -> Int32 {
        let descriptor = open(path, O_RDWR)
        guard descriptor >= 0 else { throw MountedImage.Failure(description: "open \(path): errno \(errno)") }
        XCTAssertEqual(WritebackCoalescingTests.pwrite(descriptor, generator.bytes(4096), at: 0), 4096)
        try Self.writeBack(descriptor)
        for record in 4...5 {
            let offset = record << 17 + 4096
            XCTAssertEqual(WritebackCoalescingTests.pwrite(descriptor, generator.bytes(60 << 10), at: offset), 60 << 10)
        }
        try Self.writeBack(descriptor)
        return descriptor
    }

    // MARK: GNU calls Swift's Glibc module leaves out, looked up at run time

    /// The kernel writes the file's dirty pages back and waits for them (WRITE requests, no fsync).
    static func writeBack(_ descriptor: Int32) throws {
        typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else {
            throw MountedImage.Failure(description: "no sync_file_range")
        }
        // SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER
        let result = unsafeBitCast(symbol, to: SyncFileRange.self)(descriptor, 0, 0, 7)
        guard result == 0 else { throw MountedImage.Failure(description: "sync_file_range: errno \(errno)") }
    }

    /// `statx` flags: the kernel's cached attributes as they are, or fresh ones from the mount
    /// (GETATTR, which hands the file's held writes over).
    static let dontSync: Int32 = 0x4000
    static let forceSync: Int32 = 0x2000

    /// Size and blocks (512-byte units) of `path` by `statx` with `flags`.
    static func statx(_ path: String, flags: Int32) throws -> (size: UInt64, blocks: UInt64) {
        typealias Statx = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UInt32, UnsafeMutableRawPointer) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "statx") else {
            throw MountedImage.Failure(description: "no statx")
        }
        // struct statx (linux/stat.h): 256 bytes, stx_size at 40, stx_blocks at 48.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        let atCurrentDirectory: Int32 = -100
        let sizeAndBlocks: UInt32 = 0x200 | 0x400
        let result = unsafeBitCast(symbol, to: Statx.self)(atCurrentDirectory, path, flags, sizeAndBlocks, buffer)
        guard result == 0 else { throw MountedImage.Failure(description: "statx \(path): errno \(errno)") }
        return (buffer.load(fromByteOffset: 40, as: UInt64.self), buffer.load(fromByteOffset: 48, as: UInt64.self))
    }
}
