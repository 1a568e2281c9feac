import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSFormat
import RedoxFSTestSupport
import RedoxFSTools
import Testing

/// FIFOs, sockets and device nodes in the engine, and what upstream 0.9.1 makes of an image that
/// holds them, judged by the spec's rules for upstream's reader.
@Suite struct SpecialFileTests {
    /// Upstream's view of a node (spec §13.6): a directory if its type is 0x4000, a symbolic link
    /// if 0xA000, a regular file otherwise; readdir reports only directories and regular files.
    enum UpstreamKind: Equatable { case directory, symlink, regularFile }

    static func upstreamKind(_ node: Node) -> UpstreamKind {
        switch node.mode & Node.modeTypeMask {
        case 0x4000: return .directory
        case 0xA000: return .symlink
        default: return .regularFile
        }
    }

    static let device = DeviceNumber(major: 4095, minor: 1_048_575)

    /// An image with one node of every special type, made by mknod-style creation and by the
    /// tools' whole-node creation.
    static func image() throws -> (MemoryDevice, [String: NodeKind]) {
        let device = MemoryDevice(blockCount: 4096)
        let fs = try FileSystem.format(device: device)
        let dir = try fs.create(Array("dir".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        var made: [String: NodeKind] = [:]
        for kind in [NodeKind.fifo, .socket, .characterDevice, .blockDevice] {
            let name = "\(kind)"
            _ = try fs.createSpecial(Array(name.utf8), in: 1, kind: kind, permissions: 0o640, device: Self.device, uid: 7, gid: 8)
            made["/" + name] = kind
            let attributes = NodeAttributes(
                mode: kind.rawValue | 0o600, uid: 1, gid: 2, changeTime: Timestamp(seconds: 5, nanoseconds: 6),
                modificationTime: Timestamp(seconds: 3, nanoseconds: 4), accessTime: Timestamp(seconds: 1, nanoseconds: 2))
            let content = kind.isDevice ? Self.device.content : []
            _ = try content.withUnsafeBytes { try fs.create(Array(name.utf8), in: dir, attributes: attributes, content: $0) }
            made["/dir/" + name] = kind
        }
        try fs.link(try fs.lookup("/characterDevice"), as: Array("char-link".utf8), in: dir)
        made["/dir/char-link"] = .characterDevice
        try fs.sync()
        return (device, made)
    }

    /// Upstream opens and lists the image without error: every node it reaches has the fields
    /// its reader relies on in range (record level ≤ 5, only the inline flag, §8.1/§15.1 item 22),
    /// shows as a regular file (§13.6) whose content reads by the inline rule (§8.4): nothing for a
    /// FIFO or socket, the 8-byte device number for a device; and the checker finds nothing.
    @Test func upstreamOpensAndListsSpecialNodes() throws {
        let (device, made) = try Self.image()
        let fs = try FileSystem(device: device)
        var reader = fs.reader
        var seen: [String: Node] = [:]
        var stack: [(path: String, id: UInt32)] = [("", RedoxFS.rootNodeID)]
        while let (path, id) = stack.popLast() {
            let directory = try reader.node(id)
            for entry in try reader.entries(of: directory) {
                let childPath = path + "/" + String(decoding: entry.name, as: UTF8.self)
                let node = try reader.node(entry.nodeID)
                #expect(node.recordLevel <= 5 && node.flags & ~Node.inlineDataFlag == 0, "\(childPath)")
                switch Self.upstreamKind(node) {
                case .directory: stack.append((childPath, entry.nodeID))
                case .symlink, .regularFile:
                    // Upstream reads a regular file's bytes [0, size) from the inline area.
                    #expect(node.hasInlineData && node.size <= UInt64(RedoxFS.inlineDataSize), "\(childPath)")
                    let content = try reader.readAll(node, codec: SystemLZ4())
                    #expect(content.count == Int(node.size))
                }
                seen[childPath] = node
            }
        }
        for (path, kind) in made {
            let node = try #require(seen[path], "\(path) is not listed")
            #expect(node.kind == kind)
            #expect(Self.upstreamKind(node) == .regularFile, "\(path) shows as a regular file upstream")
            #expect(node.size == (kind.isDevice ? 8 : 0) && node.recordLevel == 0 && node.blocks == 1)
            if kind.isDevice {
                #expect(DeviceNumber(inlineContentOf: node) == Self.device)
                #expect(try fs.deviceNumber(of: node) == Self.device)
            }
        }
        #expect(seen["/dir/char-link"]?.links == 2)
        try SpaceInvariant.check(fs)
    }

    /// The checker knows the types: a clean image, counted; a device node without its number is
    /// reported (a warning), as is a FIFO with content.
    @Test func checkerKnowsSpecialNodes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redoxfs-special-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/special.img"
        let (device, _) = try Self.image()
        try Data(device.bytes).write(to: URL(fileURLWithPath: path))
        let clean = try Fixtures.run(Fixtures.tool("redoxfs-fsck"), ["-n", path])
        let text = String(decoding: clean.output, as: UTF8.self)
        #expect(clean.status == 0, "\(text)")
        #expect(text.contains("2 sockets, 2 FIFOs, 4 devices") && text.contains("0 error(s), 0 warning(s)"), "\(text)")

        let fs = try FileSystem(path: path, readOnly: false)
        let fifo = try fs.lookup("/fifo")
        var node = try fs.node(fifo)
        node.mode = NodeKind.blockDevice.rawValue | 0o600  // a device node with no number
        try fs.transaction { () throws(FileSystemError) in try fs.saveNode(fifo, node) }
        try fs.unmount()
        let damaged = try Fixtures.run(Fixtures.tool("redoxfs-fsck"), ["-n", path])
        let report = String(decoding: damaged.output, as: UTF8.self)
        #expect(report.contains("special-node-content") || report.contains("does not keep an inline 8-byte device number"), "\(report)")
        #expect(report.contains("0 error(s), 1 warning(s)"), "\(report)")
    }

    /// Content writes and truncation refuse special nodes; clone copies them with their numbers
    /// and times.
    @Test func specialNodesRefuseContentAndClone() throws {
        let (device, made) = try Self.image()
        let fs = try FileSystem(device: device, writable: true)
        let char = try fs.lookup("/characterDevice")
        #expect(throws: FileSystemError.self) { try fs.write(char, at: 0, [1, 2, 3]) }
        #expect(throws: FileSystemError.self) { try fs.truncate(char, to: 0) }
        #expect(try fs.deviceNumber(of: fs.node(char)) == Self.device)

        let copy = try FileSystem.format(device: MemoryDevice(blockCount: 4096))
        try TreeCloner(source: fs, destination: copy).clone()
        for (path, kind) in made {
            let original = try fs.node(fs.lookup(path))
            let cloned = try copy.node(copy.lookup(path))
            #expect(cloned.kind == kind && cloned.mode == original.mode && cloned.uid == original.uid)
            #expect(cloned.ctime == original.ctime && cloned.ctimeNanoseconds == original.ctimeNanoseconds, "\(path) ctime")
            #expect(cloned.mtime == original.mtime && cloned.atime == original.atime, "\(path) times")
            if kind.isDevice { #expect(try copy.deviceNumber(of: cloned) == Self.device) }
        }
        #expect(try copy.node(copy.lookup("/dir/char-link")).links == 2)
    }
}
