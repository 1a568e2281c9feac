import Testing
@testable import Pkgar

/// Key files (plain and encrypted), metadata, repository index and installed-system state.
@Suite struct KeyFileAndStateTests {
    @Test func plainAndEncryptedSecretKeysRoundTrip() throws {
        let key = SecretKey.generate()
        let plain = try key.fileText()
        #expect(try !SecretKey.isEncrypted(fileText: plain, path: "plain"))
        let loaded = try SecretKey(fileText: plain, path: "plain") { () throws(PkgarError) -> [UInt8] in
            Issue.record("a plain key asks for no passphrase")
            return []
        }
        #expect(loaded.bytes == key.bytes)

        let encrypted = try key.fileText(passphrase: Array("correct horse".utf8))
        #expect(try SecretKey.isEncrypted(fileText: encrypted, path: "enc"))
        #expect(!encrypted.contains(Hex.encode(key.bytes)))
        let opened = try SecretKey(fileText: encrypted, path: "enc") { () throws(PkgarError) -> [UInt8] in Array("correct horse".utf8) }
        #expect(opened.publicKey == key.publicKey)
        #expect(throws: PkgarError.wrongPassphrase) {
            try SecretKey(fileText: encrypted, path: "enc") { () throws(PkgarError) -> [UInt8] in Array("wrong".utf8) }
        }

        let publicText = key.publicKey.fileText
        #expect(publicText == "pkey = \"\(key.publicKey.hex)\"\n")
        #expect(try PublicKey(fileText: publicText, path: "pub") == key.publicKey)
        #expect(throws: PkgarError.self) { try PublicKey(fileText: "pkey = \"abcd\"", path: "pub") }
        #expect(throws: PkgarError.self) { try PublicKey(fileText: "pkey = ", path: "pub") }
        #expect(throws: PkgarError.self) {
            try SecretKey(fileText: "salt = \"00\"\nnonce = \"00\"\nskey = \"00\"", path: "bad") { () throws(PkgarError) -> [UInt8] in [] }
        }
    }

    @Test func keyFilesOnDiskHaveTheirModes() throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        let key = SecretKey.generate()
        try key.save(to: work.path + "/id_ed25519.toml")
        try key.publicKey.save(to: work.path + "/id_ed25519.pub.toml")
        #expect(try Posix.status(work.path + "/id_ed25519.toml")?.mode ?? 0 & 0o777 == 0o100600)
        #expect(try SecretKey.load(work.path + "/id_ed25519.toml").publicKey == PublicKey.load(work.path + "/id_ed25519.pub.toml"))
    }

    @Test func metadataAndRepositoryIndexRoundTrip() throws {
        let metadata = PackageMetadata(
            name: "bootloader", version: "1.0.0", target: "x86_64-unknown-redox", blake3: "ab12",
            sourceIdentifier: "local_source", storageSize: 1234, networkSize: 1500, depends: ["base-files"])
        #expect(try PackageMetadata(text: metadata.text, path: "m") == metadata)
        #expect(!metadata.text.contains("commit_identifier"), "empty fields are omitted")
        #expect(throws: PkgarError.self) { try PackageMetadata(text: "version = 1", path: "m") }

        let index = RepositoryIndex(
            buildID: "abc", packages: ["z": "1", "a": "2"],
            outdated: ["broken": .init(sourceIdentifier: "s", commitIdentifier: "c", timeIdentifier: "t")])
        #expect(index.text.hasPrefix("build_id = \"abc\"\n\n[packages]\na = \"2\"\nz = \"1\"\n"))
        #expect(try RepositoryIndex(text: index.text, path: "repo.toml") == index)
    }

    @Test func installedSystemRecordsHeadsAndState() throws {
        let work = try TestDirectory()
        defer { work.cleanUp() }
        let key = SecretKey.generate()
        let source = try TestDirectory()
        defer { source.cleanUp() }
        try source.write("etc/motd", "hello\n")
        let package = try Package(bytes: PackageBuilder.archive(of: source.path, secretKey: key), trustedKey: key.publicKey)
        let system = InstalledSystem(root: work.path)
        try work.write("etc/pkg.d/50_redox", "# comment\nhttps://static.example/pkg\n\n")
        #expect(try system.repositoryURLs() == ["https://static.example/pkg"])
        #expect(InstalledSystem.remoteName(of: "https://static.example:8080/pkg") == "static.example")
        try system.install(
            metadata: PackageMetadata(name: "motd", version: "1", storageSize: 10), archive: package,
            remote: "local", trustedKey: key.publicKey, manual: true)
        try system.install(
            metadata: PackageMetadata(name: "meta", depends: ["motd"]), archive: nil,
            remote: "local", trustedKey: key.publicKey, manual: true)
        #expect(try work.read("etc/motd") == "hello\n")
        let head = try Package.openHead(system.headPath(of: "motd"), trustedKey: key.publicKey, installedRoot: work.path)
        try head.verifyContents()
        let state = try system.loadState()
        #expect(state.installed["motd"]?.blake3 == package.blake3Hex)
        #expect(state.installed["motd"]?.dependents == ["meta"])
        #expect(state.publicKeys["local"] == key.publicKey.hex)
        #expect(try PackageState(text: state.text, path: "s") == state)
    }
}

/// Installing from a local repository folder as the installer does.
@Suite struct LocalRepositoryTests {
    @Test func installsTheClosureVerifiedAndRecordsState() throws {
        let work = try TestDirectory(), tree = try TestDirectory()
        defer { work.cleanUp(); tree.cleanUp() }
        let key = SecretKey.generate()
        let folder = work.path + "/repo/x86_64-unknown-redox"
        try Posix.makeDirectories(folder)
        func publish(_ name: String, files: [String: String], depends: [String]) throws {
            try Posix.removeTree(tree.path + "/" + name)
            for (path, text) in files { try tree.write(name + "/" + path, text) }
            var metadata = PackageMetadata(name: name, version: files.isEmpty ? "" : "1", depends: depends)
            if !files.isEmpty {
                try PackageBuilder.create(archivePath: folder + "/\(name).pkgar", from: tree.path + "/" + name, secretKey: key)
                metadata.blake3 = try Package.open(folder + "/\(name).pkgar", trustedKey: key.publicKey).blake3Hex
            }
            try Posix.writeFileAtomically(folder + "/\(name).toml", bytes: Array(metadata.text.utf8))
        }
        try publish("libc", files: ["usr/lib/libc.a": "archive"], depends: [])
        try publish("shell", files: ["usr/bin/sh": "#!sh"], depends: ["libc"])
        try publish("base", files: [:], depends: ["shell"])
        let repository = LocalRepository(directory: folder, publicKey: key.publicKey)
        let system = InstalledSystem(root: work.path + "/root")
        #expect(try system.install(["base"], from: repository) == ["libc", "shell", "base"])
        #expect(try work.read("root/usr/bin/sh") == "#!sh")
        let state = try system.loadState()
        #expect(state.installed["base"]?.manual == true && state.installed["libc"]?.manual == false)
        #expect(state.installed["libc"]?.dependents == ["shell"])
        #expect(try Posix.status(system.headPath(of: "shell")) != nil)

        // A package signed by another key is refused before anything is written.
        let other = SecretKey.generate()
        try tree.write("evil/etc/evil", "x")
        try PackageBuilder.create(archivePath: folder + "/evil.pkgar", from: tree.path + "/evil", secretKey: other)
        try Posix.writeFileAtomically(folder + "/evil.toml", bytes: Array(PackageMetadata(name: "evil", version: "1").text.utf8))
        #expect(throws: PkgarError.invalidSignature) { try system.install(["evil"], from: repository) }
        #expect(try Posix.status(work.path + "/root/etc/evil") == nil)
        #expect(throws: PkgarError.self) { try system.install(["missing"], from: repository) }
    }
}
