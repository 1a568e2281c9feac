import Foundation
import Testing
import RedoxInitfs
import RedoxInitfsHost

/// Damaged, truncated and impossible images and trees give clear errors.
@Suite struct InitfsRefusalTests {
    func sampleImage() throws -> [UInt8] {
        let children = [
            InitfsChild(name: Array("bin".utf8), node: .directory([
                InitfsChild(name: Array("init".utf8), node: .file([UInt8](repeating: 7, count: 100), executable: true)),
            ])),
            InitfsChild(name: Array("link".utf8), node: .link(Array("bin/init".utf8))),
        ]
        return try InitfsWriter.image(root: children, bootstrap: fakeELF(entry: 0x2000))
    }

    func open(_ bytes: [UInt8]) throws(InitfsError) -> (InitfsHeader, Int) {
        var result: Result<(InitfsHeader, Int), InitfsError> = .failure(.badMagic)
        bytes.withUnsafeBytes { raw in
            do throws(InitfsError) {
                let view = try InitfsView(raw)
                for number in 0..<Int(view.header.inodeCount) {
                    let inode = try view.inode(number)
                    if inode.kind == .directory { _ = try view.entries(inode) }
                }
                result = .success((view.header, Int(view.header.inodeCount)))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    @Test func refusesTruncatedImages() throws {
        let image = try sampleImage()
        #expect(throws: InitfsError.truncatedHeader(length: 20)) { try open(Array(image[0..<20])) }
        #expect(throws: InitfsError.sizeMismatch(header: UInt64(image.count), actual: 4096)) { try open(Array(image[0..<4096])) }
        #expect(throws: InitfsError.sizeMismatch(header: UInt64(image.count), actual: image.count - 1)) {
            try open(Array(image.dropLast()))
        }
        #expect(InitfsError.truncatedHeader(length: 20).message.contains("truncated"))
    }

    @Test func refusesDamagedImages() throws {
        let image = try sampleImage()
        var magic = image
        magic[7] = 0x58
        #expect(throws: InitfsError.badMagic) { try open(magic) }
        #expect(InitfsError.badMagic.message == "not an initfs image (magic is not RedoxFtw)")

        var table = image
        table[0x08] = 10; table[0x09] = 0; table[0x0A] = 0; table[0x0B] = 0
        #expect(throws: InitfsError.inodeTableOffsetTooSmall(10)) { try open(table) }

        var count = image
        count[0x18] = 0xFF; count[0x19] = 0xFF
        #expect(throws: InitfsError.self) { try open(count) }

        let (header, _) = try open(image)
        let tableOffset = Int(header.inodeTableOffset)
        var kind = image
        kind[tableOffset] = 9
        #expect(throws: InitfsError.unknownKind(inode: 0, kind: 9)) { try open(kind) }

        var range = image
        range[tableOffset + 4] = 0xFF; range[tableOffset + 5] = 0xFF; range[tableOffset + 6] = 0xFF
        #expect(throws: InitfsError.dataOutOfBounds(inode: 0)) { try open(range) }

        // The root directory's first entry: name offset far outside the image.
        let rootBase = tableOffset + (Int(header.inodeCount) - 1) * 12
        let rootData = Int(image[rootBase + 8]) | Int(image[rootBase + 9]) << 8 | Int(image[rootBase + 10]) << 16
        var name = image
        name[rootData + 7] = 0x7F
        #expect(throws: InitfsError.nameOutOfBounds(inode: Int(header.inodeCount) - 1)) { try open(name) }

        var pageSize = image
        pageSize[0x14] = 0; pageSize[0x15] = 0x40
        _ = pageSize.withUnsafeBytes { raw in
            #expect(throws: InitfsError.pageSizeMismatch(0x4000)) { _ = try InitfsView(raw, requirePageSize: true) }
        }
    }

    @Test func refusesLinkLoops() throws {
        let children = [
            InitfsChild(name: Array("a".utf8), node: .link(Array("b".utf8))),
            InitfsChild(name: Array("b".utf8), node: .link(Array("a".utf8))),
        ]
        let image = try InitfsWriter.image(root: children, bootstrap: fakeELF(entry: 0x2000))
        try image.withUnsafeBytes { raw in
            let view = try InitfsView(raw)
            #expect(throws: InitfsError.tooManyLinks) { try view.lookup(Array("a".utf8)) }
        }
    }

    @Test func writerRefusesBadInput() {
        #expect(throws: InitfsError.notAnELF) { try InitfsWriter.image(root: [], bootstrap: Array("#!/bin/sh".utf8)) }
        #expect(throws: InitfsError.truncatedELF) { try InitfsWriter.image(root: [], bootstrap: [0x7F, 0x45, 0x4C, 0x46, 2, 1]) }
        let big = [InitfsChild(name: Array("big".utf8), node: .file([UInt8](repeating: 1, count: 100_000), executable: false))]
        #expect(throws: InitfsError.imageTooLarge(limit: 65_536)) {
            try InitfsWriter.image(root: big, bootstrap: fakeELF(entry: 0x2000), maximumSize: 65_536)
        }
        #expect(InitfsError.imageTooLarge(limit: 1).message == "bump allocation failed: max limit reached")
        let entry = try? InitfsWriter.bootstrapEntry([0x7F, 0x45, 0x4C, 0x46, 1, 2] + [UInt8](repeating: 0, count: 18) + [0, 0, 0x20, 0x40])
        #expect(entry == 0x2040, "32-bit big-endian entries are read too")
    }

    @Test func hostTreeRefusesSpecialFilesAndMissingInput() throws {
        let scratch = Scratch()
        scratch.write("tree/ok", [1])
        scratch.write("bootstrap", fakeELF(entry: 0x2000))
        #expect(mkfifo(scratch.path + "/tree/fifo", 0o644) == 0)
        #expect(throws: HostTreeError.self) {
            try HostTree.archive(source: scratch.path + "/tree", bootstrap: scratch.path + "/bootstrap",
                                 output: scratch.path + "/out.img", maximumSize: 1 << 20)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/out.img"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/out.img.partial"))
        #expect(throws: HostTreeError.self) {
            try HostTree.archive(source: scratch.path + "/missing", bootstrap: scratch.path + "/bootstrap",
                                 output: scratch.path + "/out.img", maximumSize: 1 << 20)
        }
    }
}
