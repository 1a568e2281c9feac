import Testing
@testable import Pkgar

/// Creating, listing, extracting and verifying packages; tampered and hostile archives.
@Suite struct ArchiveTests {
    let key = SecretKey(seed: [UInt8](repeating: 7, count: 32))!
    let otherKey = SecretKey(seed: [UInt8](repeating: 9, count: 32))!

    /// A small tree: nested files with modes, a symlink, an executable.
    func sampleTree(_ directory: TestDirectory) throws {
        try directory.write("usr/bin/tool", "#!/bin/sh\necho tool\n", mode: 0o755)
        try directory.write("etc/hostname", "redox\n")
        try directory.write("etc/z-last", String(repeating: "z", count: 5000))
        try directory.link("bin", to: "usr/bin")
    }

    func item(_ path: String, _ content: String, mode: UInt32 = 0o100644) -> PackageBuilder.Item {
        PackageBuilder.Item(pathBytes: Array(path.utf8), mode: mode, content: Array(content.utf8))
    }

    @Test(arguments: [PackageFlags.Packaging.uncompressed, .lzma2])
    func roundTripWithEveryHashChecked(packaging: PackageFlags.Packaging) throws {
        let source = try TestDirectory(), target = try TestDirectory()
        defer { source.cleanUp(); target.cleanUp() }
        try sampleTree(source)
        let bytes = try PackageBuilder.archive(of: source.path, secretKey: key, packaging: packaging)
        #expect(try PackageBuilder.archive(of: source.path, secretKey: key, packaging: packaging) == bytes, "reproducible")
        let package = try Package(bytes: bytes, trustedKey: key.publicKey)
        #expect(package.entries.map(\.path) == ["bin", "etc/hostname", "etc/z-last", "usr/bin/tool"])
        #expect(package.header.flags.packaging == packaging)
        #expect(package.entries[3].mode == 0o100755)
        #expect(package.entries[0].mode & 0o170000 == 0o120000)
        try package.verifyContents()
        try package.extract(to: target.path + "/root")
        #expect(try target.read("root/usr/bin/tool") == "#!/bin/sh\necho tool\n")
        #expect(try Posix.status(target.path + "/root/usr/bin/tool")?.mode ?? 0 & 0o7777 == 0o100755)
        #expect(try Posix.readLink(target.path + "/root/bin") == Array("usr/bin".utf8))
        #expect(try target.tree().allSatisfy { !$0.contains(".pkgar.") }, "no temporary files left")
        try package.verifyInstalled(root: target.path + "/root")
        // A head plus the installed tree behaves like the full package.
        let head = try Package(headBytes: package.headBytes, trustedKey: key.publicKey, installedRoot: target.path + "/root")
        if packaging == .uncompressed { try head.verifyContents() }
    }

    @Test func tamperedHeaderEntryTableAndDataAreRefused() throws {
        let source = try TestDirectory(), target = try TestDirectory()
        defer { source.cleanUp(); target.cleanUp() }
        try sampleTree(source)
        let bytes = try PackageBuilder.archive(of: source.path, secretKey: key)
        let headSize = PackageHeader.size + 4 * PackageEntry.size

        for (offset, expected) in [(3, "signature"), (70, "signed public key"), (100, "signed hash"), (129, "count"), (133, "flags")] {
            var altered = bytes
            altered[offset] ^= 0x01
            #expect(throws: PkgarError.invalidSignature, "flipped bit in the \(expected)") {
                try Package(bytes: altered, trustedKey: key.publicKey).extract(to: target.path + "/out")
            }
        }
        var table = bytes
        table[PackageHeader.size + PackageEntry.size + 60] ^= 0x04
        #expect {
            try Package(bytes: table, trustedKey: key.publicKey).extract(to: target.path + "/out")
        } throws: { error in
            if case .invalidBlake3(what: "entry table", _, _)? = error as? PkgarError { return true }
            return false
        }
        var data = bytes
        data[headSize + data.count - headSize - 10] ^= 0x80
        #expect {
            try Package(bytes: data, trustedKey: key.publicKey).extract(to: target.path + "/out")
        } throws: { error in
            if case .invalidBlake3(what: "usr/bin/tool", _, _)? = error as? PkgarError { return true }
            return false
        }
        // The data failure came after earlier entries were staged: none of them stayed.
        let files = try target.tree().filter { try Posix.status(target.path + "/" + $0)?.kind != .directory }
        #expect(files.isEmpty, "nothing written: \(files)")
        #expect(throws: PkgarError.invalidSignature) { try Package(bytes: bytes, trustedKey: otherKey.publicKey) }
        #expect(throws: PkgarError.self) { try Package(bytes: Array(bytes.prefix(100)), trustedKey: key.publicKey) }
        #expect(throws: PkgarError.self) {
            try Package(bytes: Array(bytes.prefix(headSize - 1)), trustedKey: key.publicKey)
        }
    }

    @Test func embeddedKeyMustBeTheTrustedKey() throws {
        // Signed by the trusted key but naming another key in the header.
        var header = PackageHeader(
            signature: [UInt8](repeating: 0, count: 64), publicKey: otherKey.publicKey.bytes,
            blake3: Blake3.hash([]), count: 0, flags: PackageFlags())
        header.signature = key.sign(header.signedBytes)
        #expect {
            try Package(bytes: header.bytes, trustedKey: key.publicKey)
        } throws: { error in
            if case .invalidKey? = error as? PkgarError { return true }
            return false
        }
    }

    /// Archives with hostile paths, built directly from items (a directory walk cannot make them).
    @Test(arguments: [
        ["../x"], ["/etc/x"], ["a/../../x"], ["./x"], ["a//x"], [""],
        ["link", "link/x"], ["link", "link/deeper/x"],
    ])
    func hostilePathsAreRefusedWithNothingWrittenOutside(paths: [String]) throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        try work.write("outside/keep", "keep")
        let items = paths.map { path in
            path == "link" ? item(path, work.path + "/outside", mode: 0o120777) : item(path, "pwned")
        }
        let bytes = try PackageBuilder.archiveUnchecked(items: items, secretKey: key)
        let package = try Package(bytes: bytes, trustedKey: key.publicKey)
        #expect(throws: PkgarError.self) { try package.extract(to: work.path + "/target") }
        #expect(try work.tree().filter { $0.hasPrefix("outside") } == ["outside", "outside/keep"])
        #expect(try work.read("outside/keep") == "keep")
        let inTarget = (try? work.tree("target")) ?? []
        #expect(inTarget.allSatisfy { !$0.contains("x") && $0 != "link" }, "\(inTarget)")
    }

    @Test func symlinkAlreadyInTheTargetIsNotFollowed() throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        try work.write("outside/keep", "keep")
        try work.link("target/etc", to: work.path + "/outside")
        let bytes = try PackageBuilder.archive(items: [item("etc/passwd", "pwned")], secretKey: key, packaging: .uncompressed)
        #expect {
            try Package(bytes: bytes, trustedKey: key.publicKey).extract(to: work.path + "/target")
        } throws: { error in
            if case .pathThroughSymlink? = error as? PkgarError { return true }
            return false
        }
        #expect(try work.tree("outside") == ["outside/keep"])
    }

    @Test func invalidModesAreRefused() throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        for mode: UInt32 in [0o040755, 0o020644, 0o1100644] {
            let bytes = try PackageBuilder.archiveUnchecked(items: [item("dev", "x", mode: mode)], secretKey: key)
            #expect(throws: PkgarError.invalidMode(path: "dev", mode: mode)) {
                try Package(bytes: bytes, trustedKey: key.publicKey).extract(to: work.path)
            }
        }
    }

    @Test func removeKeepsLocalChangesAndReplaceSwapsFiles() throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        let old = try Package(bytes: PackageBuilder.archive(
            items: [item("a", "one"), item("b", "two"), item("c", "three")], secretKey: key, packaging: .uncompressed),
            trustedKey: key.publicKey)
        let new = try Package(bytes: PackageBuilder.archive(
            items: [item("a", "one"), item("b", "TWO"), item("d", "four")], secretKey: key, packaging: .uncompressed),
            trustedKey: key.publicKey)
        try old.extract(to: work.path)
        var replace = Transaction()
        try replace.replace(old: old, new: new, root: work.path)
        #expect(replace.actions.count == 3, "b and d installed, c removed; a unchanged")
        try replace.commit()
        #expect(try work.tree() == ["a", "b", "d"])
        #expect(try work.read("b") == "TWO")

        try work.write("d", "edited locally")
        var remove = Transaction()
        try remove.remove(new, from: work.path)
        try remove.commit()
        #expect(try work.tree() == ["d"], "a locally modified file is kept")
        var missing = Transaction()
        #expect(throws: PkgarError.self) { try missing.remove(new, from: work.path) }
    }

    @Test func uncommittedTransactionChangesNothingVisibleAndAbortCleansUp() throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        let package = try Package(bytes: PackageBuilder.archive(
            items: [item("etc/a", "one")], secretKey: key, packaging: .uncompressed), trustedKey: key.publicKey)
        var transaction = Transaction()
        try transaction.install(package, into: work.path)
        #expect(try work.tree() == ["etc", "etc/.pkgar.a"])
        transaction.abort()
        #expect(try work.tree() == ["etc"])
    }
}
