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
