import Foundation
import RedoxFS

/// A small image made by the engine for the corpus: compressed and plain records, an indirect
/// list, inline files, a symlink, a hard link and nested directories.
enum GeneratedImage {
    static let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 5)
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: (path: String, manifest: String)?

    /// The image (read-only use; copy it before damaging it) and its manifest.
    static func image() throws -> (path: String, manifest: String) {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        let path = try CheckFixtures.emptyImage(bytes: 32 << 20)
        let device = try FileDevice.open(path: path, readOnly: false)
        var options = FormatOptions(uuid: Array(0xB0...0xBF), time: time)
        options.bootloader = []
        let fs = try FileSystem.format(device: device, options: options)
        fs.clock = { time }
        let root = RedoxFS.rootNodeID
        let docs = try fs.create(Array("docs".utf8), in: root, mode: 0x4000 | 0o755, uid: 0, gid: 0)
        let readme = try fs.create(Array("readme.txt".utf8), in: docs, mode: 0x8000 | 0o644, uid: 1000, gid: 1000)
        _ = try fs.write(readme, at: 0, Array("read me first\n".utf8))
        let text = (0..<6000).map { "line \($0): generated text for the checker's corpus\n" }.joined()
        let big = try fs.create(Array("big.txt".utf8), in: root, mode: 0x8000 | 0o644, uid: 0, gid: 0)
        _ = try fs.write(big, at: 0, Array(text.utf8))
        var state: UInt64 = 0x1234_5678
        let noise = (0..<(17 << 20)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let random = try fs.create(Array("random.bin".utf8), in: root, mode: 0x8000 | 0o600, uid: 0, gid: 0)
        _ = try fs.write(random, at: 0, noise)
        _ = try fs.createSymlink(Array("link".utf8), in: root, target: Array("big.txt".utf8), uid: 0, gid: 0)
        try fs.link(big, as: Array("big-again.txt".utf8), in: docs)
        let sub = try fs.create(Array("sub".utf8), in: root, mode: 0x4000 | 0o700, uid: 0, gid: 0)
        let deeper = try fs.create(Array("deeper".utf8), in: sub, mode: 0x4000 | 0o755, uid: 0, gid: 0)
        for i in 0..<40 {
            let file = try fs.create(Array("file-\(i)".utf8), in: deeper, mode: 0x8000 | 0o644, uid: 0, gid: 0)
            _ = try fs.write(file, at: 0, Array("content \(i)\n".utf8))
        }
        try fs.unmount()
        let reader = try FileSystem(path: path, readOnly: true)
        defer { reader.close() }
        let manifest = try Manifest(fileSystem: reader, imageName: "generated.img").text
        made = (path, manifest)
        return (path, manifest)
    }

    /// A private writable copy.
    static func copy() throws -> (path: String, manifest: String) {
        let (source, manifest) = try image()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redoxfs-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent("generated.img").path
        try CheckFixtures.run("/bin/cp", ["--sparse=always", source, target])
        return (target, manifest)
    }
}
