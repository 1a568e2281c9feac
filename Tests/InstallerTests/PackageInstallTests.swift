import Foundation
import Pkgar
import Testing
@testable import Installer

/// Installing packages from a local repository: closure, verification, records, refusals.
@Suite(.serialized) struct PackageInstallTests {
    static func configuration(_ packages: [String], size: UInt32 = 48) -> Configuration {
        var configuration = Configuration()
        configuration.general.filesystemSize = size
        configuration.general.prompt = false
        for name in packages { configuration.packages[name] = .table(version: nil, git: nil, path: nil) }
        return configuration
    }

    static func install(_ configuration: Configuration, repository: TestRepository) throws -> (String, String) {
        let folder = try Scratch.folder("pkg-install")
        var options = InstallOptions(configuration: configuration, output: folder + "/disk.img")
        options.packageSource = LocalRepository(cookbook: repository.cookbook, target: TestRepository.target)
        options.showProgress = false
        options.sourceDateEpoch = 1_700_000_000
        try Installer(options: options).install()
        return (folder, folder + "/disk.img")
    }

    @Test func packagesWithDependenciesAreVerifiedInstalledAndRecorded() throws {
        let repository = try TestRepository()
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        try repository.add("libfoo", files: ["usr/lib/libfoo.so": big], links: ["usr/lib/libfoo.so.1": "libfoo.so"])
        try repository.add("foo", files: ["usr/bin/foo": Array("#!/bin/ion\necho foo\n".utf8), "etc/foo.conf": Array("a=1\n".utf8)],
                           depends: ["libfoo"], packaging: .lzma2)
        try repository.addMeta("suite", depends: ["foo"])
        var configuration = Self.configuration(["suite"])
        var post = FileEntry(path: "/etc/foo.conf", data: "a=2\n")
        post.postinstall = true
        configuration.files.append(post)
        let (_, image) = try Self.install(configuration, repository: repository)

        let fsck = try Scratch.run("redoxfs-fsck", ["-n", "-f", "--offset", "2097152", image])
        #expect(fsck.status == 0, "\(fsck.out)")
        let dump = try Scratch.dump(image, offset: 2 << 20)
        #expect(dump["/usr/bin/foo"]?[1] == "0755")
        #expect(dump["/usr/lib/libfoo.so.1"]?[0] == "l" && dump["/usr/lib/libfoo.so.1"]?[13] == "libfoo.so")
        #expect(try Scratch.read(image, offset: 2 << 20, path: "usr/lib/libfoo.so") == big)
        #expect(String(decoding: try Scratch.read(image, offset: 2 << 20, path: "etc/foo.conf"), as: UTF8.self) == "a=2\n")
        for name in ["foo", "libfoo"] {
            let head = try Scratch.read(image, offset: 2 << 20, path: "var/lib/packages/\(name).pkgar_head")
            let package = try Package(headBytes: head, trustedKey: repository.secretKey.publicKey, installedRoot: "/nonexistent")
            #expect(package.entries.count >= 1)
        }
        #expect(dump["/var/lib/packages/suite.pkgar_head"] == nil)   // meta-package: nothing extracted
        let stateText = String(decoding: try Scratch.read(image, offset: 2 << 20, path: "etc/pkg/packages.toml"), as: UTF8.self)
        let state = try PackageState(text: stateText, path: "packages.toml")
        #expect(Set(state.installed.keys) == ["foo", "libfoo", "suite"])
        #expect(state.installed["suite"]?.manual == true && state.installed["foo"]?.manual == false)
        #expect(state.installed["libfoo"]?.dependents == ["foo"] && state.installed["foo"]?.dependencies == ["libfoo"])
        #expect(state.publicKeys["local"] == repository.secretKey.publicKey.hex)
    }

    @Test func badSignatureAbortsNamingThePackage() throws {
        let repository = try TestRepository()
        let archive = try repository.add("bad", files: ["usr/bin/bad": [1, 2, 3]])
        try TestRepository.corrupt(archive, at: 10)
        try Self.expectFailure(repository, "bad", contains: ["package bad", "signature"])
    }

    @Test func blake3MismatchAbortsNamingThePackageAndPath() throws {
        let repository = try TestRepository()
        let archive = try repository.add("tampered", files: ["usr/share/data.txt": Array("hello world".utf8)])
        let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as! Int
        try TestRepository.corrupt(archive, at: size - 3)
        try Self.expectFailure(repository, "tampered", contains: ["package tampered", "usr/share/data.txt"])
    }

    @Test(arguments: [("../escape", "..\""), ("/etc/escape", "absolute")])
    func escapingPathsAbort(path: String, reason: String) throws {
        let repository = try TestRepository()
        let archive = try repository.add("evil", files: ["aaaa/escape": [1]])
        try repository.rewritePath(archive, entry: 0, to: path)
        try Self.expectFailure(repository, "evil", contains: ["package evil", path, reason])
    }

    @Test(arguments: ["/etc", "../../..", "usr"])
    func pathsThroughSymlinksAbort(target: String) throws {
        let repository = try TestRepository()
        let archive = try repository.add("linky", files: ["linx/passwd": Array("root;0\n".utf8)], links: ["link": target])
        try repository.rewritePath(archive, entry: 1, to: "link/passwd")
        try Self.expectFailure(repository, "linky", contains: ["package linky", "link/passwd", "goes through the symbolic link link"])
    }

    @Test func missingPackageIsNamed() throws {
        let repository = try TestRepository()
        try repository.addMeta("meta", depends: ["nowhere"])
        try Self.expectFailure(repository, "meta", contains: ["package nowhere", "not found"])
    }

    /// A large entry is read from its archive again when the image is written: an archive that
    /// shrank meanwhile is said to have changed (and its size now), a read that fails says why
    /// (here the archive replaced by a folder: EISDIR), neither with the other's words.
    @Test func rereadingALargeEntrySaysWhatFailed() throws {
        let repository = try TestRepository()
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let archive = try repository.add("big", files: ["usr/lib/big.bin": big])
        let tree = StagedTree()
        _ = try PackageArchives.stage(archive: archive, package: "big", trustedKey: repository.secretKey.publicKey, into: tree)
        guard case .external(let content)? = tree.node(at: "usr/lib/big.bin")?.content else {
            Issue.record("the large entry was not left in its archive")
            return
        }
        func reread() -> String {
            do throws(InstallerError) {
                try content.read { _ in }
                return "read"
            } catch {
                return "\(error)"
            }
        }
        #expect(reread() == "read")

        let size = try #require(FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int)
        let changed = "package big: usr/lib/big.bin: the archive changed while installing: \(archive)"
        #expect(truncate(archive, off_t(size - 1000)) == 0)
        let shrunk = reread()
        #expect(shrunk.hasPrefix("\(changed) has \(size - 1000) bytes now, this entry needs the "), "\(shrunk)")
        #expect(shrunk.contains(" bytes from byte "), "\(shrunk)")
        // Cut below the entry's start: its size now, not where the entry starts.
        #expect(truncate(archive, 100) == 0)
        let cut = reread()
        #expect(cut.hasPrefix("\(changed) has 100 bytes now, this entry needs the "), "\(cut)")

        #expect(unlink(archive) == 0 && mkdir(archive, 0o755) == 0)
        let failed = reread()
        #expect(failed == "package big: usr/lib/big.bin: \(archive): read failed: \(String(cString: strerror(EISDIR)))", "\(failed)")
    }

    /// Runs the command line and checks the failure: status 1, the message, no image left.
    static func expectFailure(_ repository: TestRepository, _ package: String, contains parts: [String]) throws {
        let folder = try Scratch.folder("pkg-fail")
        let config = try Scratch.write("[general]\nfilesystem_size = 40\nprompt = false\n[packages]\n\(package) = {}\n", folder, "c.toml")
        let result = try Scratch.run("redox-installer", ["-c", config, "--cookbook", repository.cookbook, folder + "/disk.img"])
        #expect(result.status == 1)
        for part in parts { #expect(result.err.contains(part), "\(result.err)") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/disk.img"))
    }

    @Test func commandLineRecordsTheBuildID() throws {
        let repository = try TestRepository()
        try repository.add("hello", files: ["usr/bin/hello": Array("hi".utf8)])
        let folder = try Scratch.folder("pkg-cli")
        let config = try Scratch.write("""
            [general]
            filesystem_size = 40
            [packages]
            hello = {}
            [[files]]
            path = "/usr/lib/os-release"
            data = "NAME=Redox\\n"
            """, folder, "c.toml")
        let result = try Scratch.run("redox-installer", ["-c", config, "--cookbook", repository.cookbook, "--config-name", "demo", folder + "/disk.img"])
        #expect(result.status == 0, "\(result.err)")
        let release = String(decoding: try Scratch.read(folder + "/disk.img", offset: 2 << 20, path: "usr/lib/os-release"), as: UTF8.self)
        #expect(release == "NAME=Redox\nVARIANT=\"demo\"\nBUILD_ID=\"test-build-1\"\n")
    }
}
