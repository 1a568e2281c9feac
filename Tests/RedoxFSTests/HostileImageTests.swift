import Foundation
@testable import RedoxFS
@testable import RedoxFSEngine
import RedoxFSStress
import RedoxFSTestSupport
import Testing

/// Damaged images of every kind open and walk to a typed error or a clean result, never a crash
/// or a hang: bit flips and zeroed blocks in every structure the image uses, of plain and
/// encrypted fixtures.
@Suite struct HostileImageTests {
    /// Walks everything: the manifest (every node, directory and content byte) and the space report.
    static func walk(_ bytes: [UInt8], password: [UInt8]?) -> String {
        do {
            let fs = try FileSystem(device: MemoryDevice(bytes: bytes), password: password)
            _ = try Manifest(fileSystem: fs, imageName: "x")
            _ = try fs.spaceReport()
            return "clean"
        } catch {
            return "\(error)"
        }
    }

    @Test(.timeLimit(.minutes(10)), arguments: ["ar-encrypted-lib", "ar-htree2", "mkfs-empty", "htree2-fuse-modified"])
    func damagedCopiesFailCleanly(image: String) throws {
        let password = Fixtures.images.first { $0.name == image }!.encrypted ? Fixtures.password : nil
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try Fixtures.image(image))))
        let fs = try FileSystem(device: MemoryDevice(bytes: original), password: password)
        let used = try fs.blockUsage().users.keys.sorted()
        var random = SeededGenerator(seed: UInt64(image.utf8.count))
        var outcomes: [String: Int] = [:]
        let targets = used.count > 40 ? (0..<40).map { _ in used.randomElement(using: &random)! } : used
        for (n, block) in (targets + [0, 1, 2, 3]).enumerated() {
            var bytes = original
            let start = Int(block) * 4096
            if n % 5 == 0 {
                for i in start..<start + 4096 { bytes[i] = 0 }
            } else {
                for _ in 0..<(1 + n % 3) { bytes[start + Int.random(in: 0..<4096, using: &random)] ^= UInt8.random(in: 1...255, using: &random) }
            }
            let outcome = Self.walk(bytes, password: password)
            outcomes[String(outcome.prefix(40)), default: 0] += 1
        }
        // Damage to live structures must be noticed, not read through.
        #expect(outcomes.keys.contains { $0 != "clean" })
    }

    @Test(.timeLimit(.minutes(10)))
    func loopingHashTreeIsReported() throws {
        // A directory index whose slots all name the same subtree (a DAG: true cycles cannot pass the
        // hash checks) would be walked 204^depth times; it is reported instead.
        let device = MemoryDevice(blockCount: 2048)
        let fs = try FileSystem.format(device: device)
        let dir = try fs.create(Array("d".utf8), in: 1, mode: 0o040755, uid: 0, gid: 0)
        for i in 0..<400 { _ = try fs.create(Array("name-\(i)-\(String(repeating: "x", count: 40))".utf8), in: dir, mode: 0o100644, uid: 0, gid: 0) }
        var node = try fs.node(dir)
        #expect(node.levelPointer(0).markerDepth == 1)
        let root = node.levelPointer(1)
        var reader = fs.reader
        var index = HTreeNode(block: try reader.reader.read(root, as: .hTreeNode))
        // A new root whose every slot names the old root, at depth 15.
        let looping = try fs.writeBlock(HTreeNode(slots: index.slots.map { HTreeSlot(hash: $0.hash, pointer: root) }).encode())
        index.slots = index.slots.map { HTreeSlot(hash: $0.hash, pointer: looping) }
        node.setLevelPointer(0, .marker(depth: 15))
        node.setLevelPointer(1, looping)
        try fs.saveNode(dir, node)
        try fs.sync()
        let again = try FileSystem(device: device)
        #expect(throws: FileSystemError.self) { try again.entries(of: dir) }
        // Lookups end too (found, not found or an error), whatever the damage.
        _ = try? again.find(Array("name-7-\(String(repeating: "x", count: 40))".utf8), in: dir)
    }
}
