import Foundation
import RedoxFS
import Testing
@testable import Installer

/// Whole installations: every shipped configuration, the contents the configuration asked for,
/// space and size refusals, hostile paths, encryption and reproducibility.
@Suite(.serialized) struct InstallTests {
    static let configNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Scratch.configFolder)) ?? []
        return names.filter { $0.hasSuffix(".toml") }.sorted()
    }()

    @Test func shippedConfigurationsExist() {
        #expect(Self.configNames.contains("base.toml") && Self.configNames.contains("minimal.toml"))
    }

    /// Every configuration installs, checks clean with redoxfs-fsck -n -f, and the dump shows the
    /// files, modes, symlinks, users and groups it asked for.
    @Test(arguments: configNames)
    func configurationInstallsChecksCleanAndMatches(name: String) throws {
        let folder = try Scratch.folder("config")
        var configuration = try ConfigurationLoader(path: Scratch.configFolder + "/" + name).configuration
        if configuration.general.filesystemSize == nil { configuration.general.filesystemSize = 64 }
        let (image, report) = try Scratch.install(configuration, in: folder)
        #expect(report.redoxFSOffset == 2 << 20)

        // An encrypted configuration (encrypt_disk) is checked and dumped with its own password.
        let password = configuration.general.encryptDisk
        var fsckArguments = ["-n", "-f", "--offset", String(report.redoxFSOffset)]
        if let password {
            let file = folder + "/password"
            try password.write(toFile: file, atomically: true, encoding: .utf8)
            fsckArguments += ["--password-file", file]
        }
        let fsck = try Scratch.run("redoxfs-fsck", fsckArguments + [image])
        #expect(fsck.status == 0, "\(fsck.out)\(fsck.err)")
        #expect(fsck.out.contains(": clean"))
        try Self.compare(configuration, image: image, offset: report.redoxFSOffset, password: password)
    }

    /// What `configuration` asked for against redoxfs-dump of the image.
    static func compare(_ configuration: Configuration, image: String, offset: UInt64, password: String? = nil) throws {
        let dump = try Scratch.dump(image, offset: offset, password: password)
        var expected: [String: FileEntry] = [:]
        for entry in configuration.files where !entry.append {
            expected["/" + (try StagedTree.components(entry.path)).joined(separator: "/")] = entry
        }
        let (users, groups) = UserInstaller.accounts(configuration)
        let homes = Set(users.map(\.home))
        for (path, entry) in expected {
            let fields = try #require(dump[path], "\(path) missing from the image")
            if entry.symlink {
                #expect(fields[0] == "l" && fields[13] == entry.data, "\(path): \(fields)")
            } else if entry.directory {
                #expect(fields[0] == "d", "\(path): \(fields)")
                if !homes.contains(path) {
                    #expect(fields[1] == String(format: "%04o", entry.mode ?? 0o755), "\(path) mode \(fields[1])")
                }
            } else {
                #expect(fields[0] == "f", "\(path): \(fields)")
                #expect(fields[1] == String(format: "%04o", entry.mode ?? 0o644), "\(path) mode \(fields[1])")
                if entry.source == nil && !configuration.files.contains(where: { $0.append && $0.path == entry.path }) {
                    #expect(fields[4] == String(entry.data.utf8.count), "\(path) size")
                }
            }
            if let uid = entry.uid, !entry.symlink { #expect(fields[2] == String(uid), "\(path) uid") }
        }
        for user in users {
            let home = try #require(dump[user.home], "home \(user.home) missing")
            #expect(home[0] == "d" && home[1] == "0700" && home[2] == String(user.uid) && home[3] == String(user.gid))
            if user.uid >= 1000 {
                let dirs = try #require(dump[user.home + "/.config/user-dirs.dirs"])
                #expect(dirs[1] == "0600" && dirs[2] == String(user.uid))
                #expect(dump[user.home + "/Downloads"]?[1] == "0700")
            }
        }
        if !users.isEmpty {
            let passwd = String(decoding: try Scratch.read(image, offset: offset, path: "etc/passwd", password: password), as: UTF8.self)
            #expect(passwd == users.map { "\($0.name);\($0.uid);\($0.gid);\($0.displayName);\($0.home);\($0.shell)\n" }.joined())
            #expect(dump["/etc/passwd"]?[1] == "0644" && dump["/etc/shadow"]?[1] == "0600" && dump["/etc/group"]?[1] == "0600")
            let group = String(decoding: try Scratch.read(image, offset: offset, path: "etc/group", password: password), as: UTF8.self)
            #expect(group == groups.map { "\($0.name);x;\($0.gid);\($0.members.joined(separator: ","))\n" }.joined())
            let shadow = String(decoding: try Scratch.read(image, offset: offset, path: "etc/shadow", password: password), as: UTF8.self)
            for line in shadow.split(separator: "\n") {
                let parts = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let clear = configuration.users[parts[0]]?.password ?? ""
                if clear.isEmpty {
                    #expect(parts[1].isEmpty)
                } else {
                    #expect(parts[1].hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
                    #expect(PasswordHasher.verify(clear, encoded: parts[1]))
                    #expect(!PasswordHasher.verify(clear + "x", encoded: parts[1]))
                }
            }
        }
        #expect(dump["/filesystem.toml"]?[0] == "f")
    }

    @Test func passwordsAreNeverStoredInClear() throws {
        var configuration = Configuration()
        configuration.general.filesystemSize = 40
        var user = User()
        user.password = "Very-Secret-Passw0rd"
        configuration.users["alice"] = user
        let (image, _) = try Scratch.install(configuration, in: try Scratch.folder("secret"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        #expect(bytes.range(of: Data("Very-Secret-Passw0rd".utf8)) == nil)
        let shadow = String(decoding: try Scratch.read(image, offset: 2 << 20, path: "etc/shadow"), as: UTF8.self)
        #expect(shadow.hasPrefix("alice;$argon2id$"))
    }

    @Test func filesFollowUpstreamRules() throws {
        let folder = try Scratch.folder("files")
        let binary = folder + "/blob.bin"
        let blob = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try blob.write(to: URL(fileURLWithPath: binary))
        let config = try Scratch.write("""
            [general]
            filesystem_size = 40
            prompt = false
            [[files]]
            path = "/etc/skel/.profile"
            data = "export A=1\\n"
            [[files]]
            path = "/usr/lib/os-release"
            data = "NAME=x\\n"
            [[files]]
            path = "/etc/os-release"
            data = "../usr/lib/os-release"
            symlink = true
            [[files]]
            path = "/etc/os-release"
            data = "MORE=y\\n"
            append = true
            [[files]]
            path = "/late"
            data = "post"
            postinstall = true
            [[files]]
            path = "/late"
            data = "early"
            [[files]]
            path = "/srv/data"
            data = ""
            directory = true
            mode = 0o750
            [[files]]
            path = "/srv/data/file"
            data = "x"
            mode = 0o600
            [[files]]
            path = "/srv"
            data = ""
            directory = true
            uid = 7
            gid = 8
            recursive_chown = true
            [[files]]
            path = "/usr/lib/boot/blob"
            data = ""
            source = "blob.bin"
            [users.bob]
            """, folder, "files.toml")
        let configuration = try ConfigurationLoader(path: config).configuration
        let (image, _) = try Scratch.install(configuration, in: folder)
        let dump = try Scratch.dump(image, offset: 2 << 20)
        func text(_ path: String) throws -> String { String(decoding: try Scratch.read(image, offset: 2 << 20, path: path), as: UTF8.self) }
        #expect(try text("usr/lib/os-release") == "NAME=x\nMORE=y\n")      // appended through the symlink
        #expect(dump["/etc/os-release"]?[0] == "l")
        #expect(try text("late") == "post")                                  // postinstall entries come last
        #expect(dump["/srv/data"]?[1] == "0750" && dump["/srv/data"]?[2] == "7" && dump["/srv/data/file"]?[3] == "8")
        #expect(dump["/srv/data/file"]?[1] == "0600")
        #expect(Data(try Scratch.read(image, offset: 2 << 20, path: "usr/lib/boot/blob")) == blob)
        #expect(try text("home/bob/.profile") == "export A=1\n")            // /etc/skel copied
        #expect(dump["/home/bob/.profile"]?[1] == "0600" && dump["/home/bob/.profile"]?[2] == "1000")
        #expect(try text("etc/passwd") == "bob;1000;1000;bob;/home/bob;/bin/ion\n")
        #expect(try text("home/bob/.config/user-dirs.dirs").contains("XDG_DOWNLOAD_DIR=\"$HOME/Downloads\"\n"))
    }

    @Test(arguments: [
        ("[[files]]\npath = \"/a/../../etc/x\"\ndata = \"\"\n", "\"..\" is not allowed"),
        ("[[files]]\npath = \"/evil\"\ndata = \"/etc\"\nsymlink = true\n[[files]]\npath = \"/evil/passwd\"\ndata = \"x\"\n", "absolute target"),
        ("[[files]]\npath = \"/up\"\ndata = \"../../..\"\nsymlink = true\n[[files]]\npath = \"/up/x\"\ndata = \"x\"\n", "leads outside the root"),
        ("[users.\"a;b\"]\n", "not allowed in /etc/passwd"),
    ])
    func hostilePathsAreRefused(text: String, message: String) throws {
        let folder = try Scratch.folder("hostile")
        let config = try Scratch.write("[general]\nfilesystem_size = 40\nprompt = false\n" + text, folder, "h.toml")
        let configuration = try ConfigurationLoader(path: config).configuration
        #expect {
            _ = try Scratch.install(configuration, in: folder)
        } throws: { "\($0)".contains(message) }
        #expect(!FileManager.default.fileExists(atPath: folder + "/disk.img"))
    }

    @Test func contentsThatDoNotFitAreRefusedBeforeWriting() throws {
        let folder = try Scratch.folder("space")
        let big = folder + "/big.bin"
        _ = FileManager.default.createFile(atPath: big, contents: nil)
        try FileHandle(forWritingTo: URL(fileURLWithPath: big)).truncate(atOffset: 40 << 20)
        let config = try Scratch.write("""
            [general]
            filesystem_size = 32
            [[files]]
            path = "/big"
            data = ""
            source = "big.bin"
            """, folder, "big.toml")
        let result = try Scratch.run("redox-installer", ["-c", config, folder + "/new.img"])
        #expect(result.status == 1)
        #expect(result.err.contains("needs 4"), "\(result.err)")
        #expect(result.err.contains(" MiB, the image has 32 MiB"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/new.img"))
        // An existing image is left untouched.
        let existing = folder + "/existing.img"
        _ = FileManager.default.createFile(atPath: existing, contents: nil)
        try FileHandle(forWritingTo: URL(fileURLWithPath: existing)).truncate(atOffset: 32 << 20)
        let again = try Scratch.run("redox-installer", ["-c", config, existing])
        #expect(again.status == 1 && again.err.contains("the image has 32 MiB"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: existing))
        #expect(!bytes.contains { $0 != 0 })
    }

    @Test func smallImagesAreRefused() throws {
        let folder = try Scratch.folder("small")
        let config = try Scratch.write("[general]\nfilesystem_size = 16\n", folder, "small.toml")
        let result = try Scratch.run("redox-installer", ["-c", config, folder + "/small.img"])
        #expect(result.status == 1 && result.err.contains("Refusing to create image disk less than 32 MB"))
        let existing = folder + "/existing.img"
        _ = FileManager.default.createFile(atPath: existing, contents: nil)
        try FileHandle(forWritingTo: URL(fileURLWithPath: existing)).truncate(atOffset: 20 << 20)
        let onto = try Scratch.run("redox-installer", [existing])
        #expect(onto.status == 1 && onto.err.contains("at least 32 MiB"))
        let packages = try Scratch.run("redox-installer", ["-c", Scratch.configFolder + "/minimal.toml", folder + "/p.img"])
        #expect(packages.status == 1 && packages.err.contains("no repository was given"))
    }

    /// Two runs with the same SOURCE_DATE_EPOCH give the same image, byte for byte.
    @Test func reproducibleImages() throws {
        let config = Scratch.configFolder + "/minimal.toml"
        var digests: [String] = []
        for run in 0..<2 {
            let folder = try Scratch.folder("repro\(run)")
            let image = folder + "/disk.img"
            let result = try Scratch.run("redox-installer", ["-c", config, "--skip-packages", "--config-name", "minimal", image],
                                         environment: ["SOURCE_DATE_EPOCH": "1700000000"])
            #expect(result.status == 0, "\(result.err)")
            digests.append(try Self.sha256(image))
        }
        print("reproducible image SHA-256 (minimal.toml, SOURCE_DATE_EPOCH=1700000000): \(digests[0])")
        #expect(digests[0] == digests[1])
        let folder = try Scratch.folder("repro-other")
        _ = try Scratch.run("redox-installer", ["-c", config, "--skip-packages", "--config-name", "minimal", folder + "/disk.img"],
                            environment: ["SOURCE_DATE_EPOCH": "1700000001"])
        #expect(try Self.sha256(folder + "/disk.img") != digests[0])
        let release = String(decoding: try Scratch.read(folder + "/disk.img", offset: 2 << 20, path: "usr/lib/os-release"), as: UTF8.self)
        #expect(release.hasSuffix("VARIANT=\"minimal\"\n"))
        let recorded = String(decoding: try Scratch.read(folder + "/disk.img", offset: 2 << 20, path: "filesystem.toml"), as: UTF8.self)
        #expect(recorded.contains("filesystem_size = 196") && !recorded.contains("password = 'password'"))
    }

    static func sha256(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var digest = SHA256Digest()
        data.withUnsafeBytes { digest.update($0) }
        return digest.finalizeHex()
    }

    @Test func encryptedAndWholeDiskInstalls() throws {
        var configuration = try ConfigurationLoader(path: Scratch.configFolder + "/base.toml").configuration
        configuration.general.filesystemSize = 48
        configuration.general.encryptDisk = "correct horse"
        let folder = try Scratch.folder("encrypted")
        let (image, report) = try Scratch.install(configuration, in: folder)
        let device = try FileSystem(path: image, readOnly: true, byteOffset: report.redoxFSOffset, password: Array("correct horse".utf8))
        #expect(device.isEncrypted)
        device.close()
        try Self.compare(configuration, image: image, offset: report.redoxFSOffset, password: "correct horse")
        #expect(throws: (any Error).self) { _ = try FileSystem(path: image, readOnly: true, byteOffset: report.redoxFSOffset, password: Array("wrong".utf8)) }

        var whole = configuration
        whole.general.encryptDisk = nil
        whole.general.skipPartitions = true
        let (plain, wholeReport) = try Scratch.install(whole, in: try Scratch.folder("whole"))
        #expect(wholeReport.redoxFSOffset == 0 && wholeReport.redoxFSBytes == 48 << 20)
        let fsck = try Scratch.run("redoxfs-fsck", ["-n", "-f", plain])
        #expect(fsck.status == 0, "\(fsck.out)")
    }
}
