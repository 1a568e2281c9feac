import Foundation
import Pkgar

/// A local package repository in the cookbook's layout, made with the Pkgar library:
/// `build/id_ed25519.pub.toml`, `repo/<target>/<name>.pkgar`, `<name>.toml`, `repo.toml`.
struct TestRepository {
    static let target = "x86_64-unknown-redox"
    let cookbook: String
    let secretKey: SecretKey
    var directory: String { cookbook + "/repo/" + Self.target }

    init() throws {
        cookbook = try Scratch.folder("cookbook")
        secretKey = SecretKey.generate()
        try FileManager.default.createDirectory(atPath: cookbook + "/build", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cookbook + "/repo/" + Self.target, withIntermediateDirectories: true)
        try secretKey.publicKey.save(to: cookbook + "/build/id_ed25519.pub.toml")
        try "build_id = \"test-build-1\"\n\n[packages]\n".write(toFile: directory + "/repo.toml", atomically: true, encoding: .utf8)
    }

    /// Adds package `name` holding `files` (path → content; mode 0755 when the path is under
    /// usr/bin) and `links` (path → target).
    @discardableResult
    func add(
        _ name: String, files: [String: [UInt8]] = [:], links: [String: String] = [:], depends: [String] = [],
        packaging: PackageFlags.Packaging = .uncompressed
    ) throws -> String {
        let tree = try Scratch.folder("pkg-\(name)")
        for (path, content) in files {
            let full = tree + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content).write(to: URL(fileURLWithPath: full))
            if path.hasPrefix("usr/bin/") { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: full) }
        }
        for (path, target) in links {
            let full = tree + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        }
        let archive = directory + "/" + name + ".pkgar"
        try PackageBuilder.create(archivePath: archive, from: tree, secretKey: secretKey, packaging: packaging)
        try writeMetadata(name, archive: archive, depends: depends)
        return archive
    }

    /// A meta-package (empty version, no archive).
    func addMeta(_ name: String, depends: [String]) throws {
        let metadata = PackageMetadata(name: name, target: Self.target, depends: depends)
        try metadata.text.write(toFile: directory + "/" + name + ".toml", atomically: true, encoding: .utf8)
    }

    func writeMetadata(_ name: String, archive: String, depends: [String]) throws {
        let package = try Package.open(archive, trustedKey: secretKey.publicKey)
        let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as? UInt64 ?? 0
        let metadata = PackageMetadata(
            name: name, version: "1.0", target: Self.target, blake3: package.blake3Hex,
            storageSize: try package.installedSize(), networkSize: size, depends: depends)
        try metadata.text.write(toFile: directory + "/" + name + ".toml", atomically: true, encoding: .utf8)
    }

    /// Rewrites entry `index`'s path in `archive` and signs the result again (a hostile but
    /// validly signed package).
    func rewritePath(_ archive: String, entry index: Int, to path: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
        let header = try PackageHeader(bytes: bytes)
        let at = PackageHeader.size + index * PackageEntry.size + 52
        let field = Array(path.utf8) + [UInt8](repeating: 0, count: PackageEntry.pathFieldSize - path.utf8.count)
        bytes.replaceSubrange(at..<at + PackageEntry.pathFieldSize, with: field)
        let table = Array(bytes[PackageHeader.size..<header.headSize])
        var signed = header
        signed.blake3 = Blake3.hash(table)
        signed.signature = secretKey.sign(signed.signedBytes)
        bytes.replaceSubrange(0..<PackageHeader.size, with: signed.bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: archive))
    }

    /// Flips one byte of `archive` at `offset`.
    static func corrupt(_ archive: String, at offset: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
        bytes[offset] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: archive))
    }
}
