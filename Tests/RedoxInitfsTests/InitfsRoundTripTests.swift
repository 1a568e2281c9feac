import Foundation
import Testing
import RedoxInitfs
import RedoxInitfsHost

/// A minimal 64-bit little-endian ELF header with entry point `entry`, padded to `size` bytes.
func fakeELF(entry: UInt64, size: Int = 5000) -> [UInt8] {
    var bytes = [UInt8](repeating: 0x90, count: size)
    bytes[0...5] = [0x7F, 0x45, 0x4C, 0x46, 2, 1]
    for index in 0..<8 { bytes[24 + index] = UInt8(truncatingIfNeeded: entry >> (8 * UInt64(index))) }
    return bytes
}

/// A scratch folder removed at deinit.
final class Scratch {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "initfs-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ bytes: [UInt8], mode: Int = 0o644) {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes), attributes: [.posixPermissions: mode])
    }
}

@Suite struct InitfsRoundTripTests {
    /// A generated tree: files, an executable, nested and empty directories, relative and
    /// absolute symbolic links.
    func makeTree(_ scratch: Scratch) -> String {
        let root = scratch.path + "/tree"
        scratch.write("tree/etc/issue", Array("hello initfs\n".utf8))
        scratch.write("tree/etc/empty", [])
        scratch.write("tree/bin/zerod", (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7) }, mode: 0o755)
        scratch.write("tree/lib/init.d/00_runtime", Array("scheme zero zerod\n".utf8))
        try! FileManager.default.createDirectory(atPath: root + "/var/empty", withIntermediateDirectories: true)
        try! FileManager.default.createSymbolicLink(atPath: root + "/bin/nulld", withDestinationPath: "zerod")
        try! FileManager.default.createSymbolicLink(atPath: root + "/etc/motd", withDestinationPath: root + "/etc/issue")
        try! FileManager.default.createSymbolicLink(atPath: root + "/lib/bin", withDestinationPath: "../bin")
        return root
    }

    func archive(_ scratch: Scratch, bootstrap: [UInt8]) throws -> [UInt8] {
        let root = makeTree(scratch)
        scratch.write("bootstrap", bootstrap, mode: 0o755)
        let output = scratch.path + "/initfs.img"
        try HostTree.archive(source: root, bootstrap: scratch.path + "/bootstrap", output: output, maximumSize: 64 << 20)
        #expect(!FileManager.default.fileExists(atPath: output + ".partial"))
        return [UInt8](FileManager.default.contents(atPath: output)!)
    }

    @Test func roundTripsFilesDirectoriesLinksAndModes() throws {
        let scratch = Scratch()
        let bootstrap = fakeELF(entry: 0x2000 + 0x1234)
        let image = try archive(scratch, bootstrap: bootstrap)
        try image.withUnsafeBytes { raw in
            let view = try InitfsView(raw, requirePageSize: true)
            #expect(view.header.imageSize == UInt64(image.count))
            #expect(view.header.pageSize == 4096)
            #expect(view.header.bootstrapEntry == 0x3234)
            #expect(view.rootInode == Int(view.header.inodeCount) - 1)
            #expect(Array(image[0x1000..<(0x1000 + bootstrap.count)]) == bootstrap)

            let issue = try view.lookup(Array("etc/issue".utf8))
            #expect(issue.kind == .file && issue.kind.mode == 0o100444)
            #expect(Array(view.data(issue)) == Array("hello initfs\n".utf8))
            #expect(try view.lookup(Array("etc/empty".utf8)).length == 0)
            let zerod = try view.lookup(Array("bin/zerod".utf8))
            #expect(zerod.kind == .executable && zerod.kind.mode == 0o100555)
            #expect(Array(view.data(zerod)) == (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
            #expect(try view.lookup(Array("var/empty".utf8)).kind == .directory)
            #expect(try view.entries(try view.lookup(Array("var/empty".utf8))).isEmpty)

            let link = try view.lookup(Array("bin/nulld".utf8), followLastLink: false)
            #expect(link.kind == .link && link.kind.mode == 0o120777)
            #expect(Array(view.data(link)) == Array("zerod".utf8))
            #expect(try view.lookup(Array("bin/nulld".utf8)) == zerod)
            let motd = try view.lookup(Array("etc/motd".utf8), followLastLink: false)
            #expect(Array(view.data(motd)) == Array("issue".utf8), "absolute targets become relative to the link's folder")
            #expect(try view.lookup(Array("etc/motd".utf8)) == issue)
            #expect(try view.lookup(Array("lib/bin/zerod".utf8)) == zerod, "a link to a folder is walked through")
            #expect(throws: InitfsError.notFound) { try view.lookup(Array("etc/missing".utf8)) }

            let rootNames = try view.entries(try view.inode(view.rootInode)).map { String(decoding: view.name($0), as: UTF8.self) }
            #expect(rootNames == ["bin", "etc", "lib", "var"])
        }
    }

    @Test func layoutFollowsTheArchiver() throws {
        let scratch = Scratch()
        let image = try archive(scratch, bootstrap: fakeELF(entry: 0x2040))
        try image.withUnsafeBytes { raw in
            let view = try InitfsView(raw)
            for number in 0..<Int(view.header.inodeCount) {
                let inode = try view.inode(number)
                if inode.length > 0 { #expect(inode.offset % 4096 == 0, "inode \(number) data is page aligned") }
                if inode.kind == .directory {
                    for entry in try view.entries(inode) {
                        #expect(entry.nameOffset % 4096 == 0, "names are page aligned")
                        #expect(entry.inode < number, "children come before their directory")
                    }
                }
            }
            #expect(Int(view.header.inodeTableOffset) % 4096 == 0)
            #expect(Int(view.header.inodeTableOffset) + Int(view.header.inodeCount) * 12 == image.count)
            #expect(image[34..<4096].allSatisfy { $0 == 0 }, "the rest of the header page is zero")
        }
    }

    @Test func writerIsDeterministicForTheSameTree() throws {
        let children = [InitfsChild(name: Array("a".utf8), node: .file([1, 2, 3], executable: false))]
        let first = try InitfsWriter.image(root: children, bootstrap: fakeELF(entry: 0x2000))
        let second = try InitfsWriter.image(root: children, bootstrap: fakeELF(entry: 0x2000))
        #expect(first == second)
    }
}
