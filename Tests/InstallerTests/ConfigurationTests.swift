import Foundation
import Testing
@testable import Installer

/// Parsing, includes, merging and writing back of configuration files.
@Suite struct ConfigurationTests {
    @Test func everyKeyIsParsed() throws {
        let parsed = try ConfigurationParser.parse("""
            [general]
            cookbook = "cb"
            prompt = false
            filesystem_size = 300
            efi_partition_size = 2
            skip_partitions = true
            encrypt_disk = "pw"
            live_disk = true
            write_bootloader = "out.efi"
            no_mount = true

            [packages]
            a = {}
            b = "ignore"
            c = { version = "1", git = "g", path = "p" }

            [[files]]
            path = "/x"
            data = "y"
            symlink = false
            directory = false
            mode = 0o600
            uid = 5
            gid = 6
            recursive_chown = true
            postinstall = true
            append = true

            [users.u]
            password = "p"
            uid = 1001
            gid = 1002
            name = "U"
            home = "/h"
            shell = "/s"

            [groups.g]
            gid = 7
            members = ["u"]
            """, file: "t.toml")
        let c = parsed.configuration
        #expect(c.general.cookbook == "cb" && c.general.prompt == false && c.general.filesystemSize == 300)
        #expect(c.general.efiPartitionSize == 2 && c.general.skipPartitions == true && c.general.encryptDisk == "pw")
        #expect(c.general.liveDisk == true && c.general.writeBootloader == "out.efi" && c.general.noMount == true)
        #expect(c.packages["a"] == .table(version: nil, git: nil, path: nil))
        #expect(c.packages["c"] == .table(version: "1", git: "g", path: "p"))
        #expect(c.installedPackageNames == ["a", "c"])
        let f = c.files[0]
        #expect(f.path == "/x" && f.data == "y" && f.mode == 0o600 && f.uid == 5 && f.gid == 6)
        #expect(f.recursiveChown && f.postinstall && f.append && !f.symlink && !f.directory)
        #expect(c.users["u"] == { var u = User(); u.password = "p"; u.uid = 1001; u.gid = 1002; u.name = "U"; u.home = "/h"; u.shell = "/s"; return u }())
        #expect(c.groups["g"] == Group(gid: 7, members: ["u"]))
        #expect(parsed.unknownKeys.isEmpty)
    }

    @Test func defaultsWhenAbsent() throws {
        let c = try ConfigurationParser.parse("[[files]]\npath = \"a\"\ndata = \"\"\n[users.x]\n", file: "t").configuration
        #expect(c.general == General())
        #expect(c.files[0].mode == nil && !c.files[0].postinstall && !c.files[0].append)
        let (users, groups) = UserInstaller.accounts(c)
        #expect(users == [UserInstaller.Account(name: "x", uid: 1000, gid: 1000, displayName: "x", home: "/home/x", shell: "/bin/ion")])
        #expect(groups.map(\.name) == ["x"])
    }

    @Test func unknownKeysAreIgnoredAndListed() throws {
        let parsed = try ConfigurationParser.parse("""
            colour = 1
            [general]
            repo_binary = true
            [[files]]
            path = "a"
            data = ""
            owner = "me"
            [users.u]
            favourite = 3
            """, file: "t")
        #expect(parsed.unknownKeys.sorted() == ["colour", "files[0].owner", "general.repo_binary", "users.u.favourite"])
    }

    @Test(arguments: [
        ("[general\n", "line 1, column 9: Error while parsing table header"),
        ("[general]\nfilesystem_size = \"big\"\n", "general.filesystem_size: expected an integer"),
        ("[general]\nfilesystem_size = -1\n", "out of range"),
        ("[general]\nprompt = 1\n", "general.prompt: expected true or false"),
        ("[[files]]\ndata = \"x\"\n", "files[0]: missing key \"path\""),
        ("[[files]]\npath = \"x\"\n", "files[0]: missing key \"data\""),
        ("files = 3\n", "files: expected an array of tables"),
        ("[groups.g]\ngid = 3\n", "groups.g: missing key \"members\""),
        ("[users.u]\nuid = 4294967296\n", "users.u.uid: 4294967296 is out of range"),
        ("include = \"base.toml\"\n", "include: expected an array of strings"),
        ("[packages]\na = 3\n", "packages.a: expected a table"),
        // Found by the fuzz target: toml++ asserts on these; TOMLLoader refuses them before it sees them.
        ("x\u{FFFD} = 1\n", "line 1, column 2: a non-ASCII character outside a string"),
        ("[general]\nprompt = true\u{0}\n", "line 2, column 14: a NUL byte"),
        ("[/x]\n", "line 1, column 2: a table header must start with a key name"),
        ("a = [ # c\n}\n", "line 2, column 1: unexpected '}'"),
        ("[general]\n [[ .files]]\n", "line 2, column 5: a table header must start with a key name"),
    ])
    func malformedConfigurationsGiveClearErrors(text: String, message: String) throws {
        do {
            _ = try ConfigurationParser.parse(text, file: "bad.toml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix("bad.toml: "))
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    /// The shape of upstream's chain: base → minimal → server / desktop-minimal → desktop (which
    /// includes both), each file in its own folder level to prove includes are relative.
    @Test func upstreamChainMergesInUpstreamOrder() throws {
        let root = try Scratch.folder("chain")
        try Scratch.write("""
            [general]
            prompt = false
            filesystem_size = 64
            [packages]
            base = {}
            kernel = {}
            [[files]]
            path = "/etc/hostname"
            data = "redox"
            [users.root]
            password = "password"
            uid = 0
            gid = 0
            """, root, "common/base.toml")
        try Scratch.write("""
            include = ["common/base.toml"]
            [general]
            prompt = true
            filesystem_size = 196
            [packages]
            ion = {}
            [[files]]
            path = "/etc/motd"
            data = "minimal"
            """, root, "minimal.toml")
        try Scratch.write("""
            include = ["minimal.toml"]
            [general]
            filesystem_size = 512
            [packages]
            kernel = "ignore"
            netutils = {}
            [[files]]
            path = "/etc/motd"
            data = "server"
            """, root, "server.toml")
        try Scratch.write("""
            include = ["minimal.toml"]
            [general]
            filesystem_size = 256
            [packages]
            orbital = {}
            [users.user]
            password = ""
            """, root, "desktop-minimal.toml")
        try Scratch.write("""
            include = ["server.toml", "desktop-minimal.toml"]
            [general]
            filesystem_size = 650
            [[files]]
            path = "/etc/motd"
            data = "desktop"
            """, root, "desktop.toml")
        let loader = try ConfigurationLoader(path: root + "/desktop.toml")
        let c = loader.configuration
        #expect(c.general.filesystemSize == 650)
        // prompt comes from the first config of the chain (base.toml's false), not minimal's true.
        #expect(c.general.prompt == false)
        // server.toml ignores kernel, but desktop-minimal (merged later) brings base's `kernel = {}` back.
        #expect(c.installedPackageNames == ["base", "ion", "kernel", "netutils", "orbital"])
        #expect(c.files.map(\.data) == ["redox", "minimal", "server", "redox", "minimal", "desktop"])
        #expect(Set(c.users.keys) == ["root", "user"])
        let server = try ConfigurationLoader(path: root + "/server.toml").configuration
        #expect(server.general.filesystemSize == 512 && server.packages["kernel"] == .rule("ignore"))
    }

    @Test func promptQuirkTakesTheFirstConfigOfTheChain() throws {
        let root = try Scratch.folder("prompt")
        try Scratch.write("[general]\nfilesystem_size = 40\n", root, "a.toml")
        try Scratch.write("include = [\"a.toml\"]\n[general]\nprompt = false\n", root, "b.toml")
        // a.toml has no prompt: the merged value stays unset (treated as true), b's false is dropped.
        #expect(try ConfigurationLoader(path: root + "/b.toml").configuration.general.prompt == nil)
        try Scratch.write("[general]\nprompt = false\n", root, "c.toml")
        try Scratch.write("include = [\"c.toml\"]\n[general]\nprompt = true\n", root, "d.toml")
        #expect(try ConfigurationLoader(path: root + "/d.toml").configuration.general.prompt == false)
    }

    @Test func includeCycleIsAnError() throws {
        let root = try Scratch.folder("cycle")
        try Scratch.write("include = [\"b.toml\"]\n", root, "a.toml")
        try Scratch.write("include = [\"sub/../a.toml\"]\n", root, "b.toml")
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        #expect {
            _ = try ConfigurationLoader(path: root + "/a.toml")
        } throws: { error in
            guard case InstallerError.includeCycle(let chain) = error else { return false }
            return chain.count == 3 && chain.first == chain.last && "\(error)".hasPrefix("include cycle: ")
        }
        try Scratch.write("include = [\"self.toml\"]\n", root, "self.toml")
        #expect(throws: InstallerError.self) { _ = try ConfigurationLoader(path: root + "/self.toml") }
        try Scratch.write("include = [\"missing.toml\"]\n", root, "m.toml")
        #expect {
            _ = try ConfigurationLoader(path: root + "/m.toml")
        } throws: { "\($0)".contains("include \"missing.toml\": no such file") }
    }

    @Test func textWithLeadingNewlineSurvivesWritingBack() throws {
        var configuration = Configuration()
        configuration.files.append(FileEntry(path: "/a", data: "\nsecond line\n'quoted' \"too\"\ttab\u{7f}"))
        let text = ConfigurationWriter.text(configuration)
        #expect(try ConfigurationParser.parse(text, file: "w").configuration == configuration)
    }

    @Test func writtenConfigurationParsesBackEqual() throws {
        let root = try Scratch.folder("roundtrip")
        let loader = try ConfigurationLoader(path: Scratch.configFolder + "/minimal.toml")
        let text = ConfigurationWriter.text(loader.configuration)
        let reparsed = try ConfigurationParser.parse(text, file: "written.toml")
        #expect(reparsed.configuration == loader.configuration)
        #expect(reparsed.unknownKeys.isEmpty)
        // Through the command line: --output-config writes the same merged configuration.
        let out = root + "/merged.toml"
        let result = try Scratch.run("redox-installer", ["-c", Scratch.configFolder + "/minimal.toml", "--output-config", out])
        #expect(result.status == 0, "\(result.err)")
        #expect(try ConfigurationLoader(path: out).configuration == loader.configuration)
        #expect(!FileManager.default.fileExists(atPath: root + "/disk.img"))
    }

    /// --output-config to a file that cannot take it (/dev/full: every write is ENOSPC) is a
    /// write error with a non-zero exit (before, fputs only buffered, the failed flush at the
    /// close went unseen, and the installer exited 0 having written nothing).
    @Test func outputConfigThatCannotBeWrittenIsAnError() throws {
        let result = try Scratch.run("redox-installer", ["-c", Scratch.configFolder + "/minimal.toml", "--output-config", "/dev/full"])
        #expect(result.status == 1, "\(result.err)")
        #expect(result.err == "redox-installer: /dev/full: write failed: \(String(cString: strerror(ENOSPC)))\n", "\(result.err)")
    }

    @Test func informationalModes() throws {
        let config = Scratch.configFolder + "/minimal.toml"
        let packages = try Scratch.run("redox-installer", ["-c", config, "--list-packages"])
        #expect(packages.status == 0)
        let expected = try ConfigurationLoader(path: config).configuration.installedPackageNames
        #expect(packages.out.split(separator: "\n").map(String.init) == expected)
        let size = try Scratch.run("redox-installer", ["-c", config, "--filesystem-size"])
        #expect(size.out == "196\n")
        let none = try Scratch.run("redox-installer", ["--filesystem-size"])
        #expect(none.out == "0\n")
        let noOutput = try Scratch.run("redox-installer", ["-c", config])
        #expect(noOutput.status == 1 && noOutput.err.contains("USAGE"))
        let root = try Scratch.folder("verbose")
        let odd = try Scratch.write("[general]\nrepo_binary = true\nfilesystem_size = 33\n", root, "odd.toml")
        let verbose = try Scratch.run("redox-installer", ["-c", odd, "--verbose", "--filesystem-size"])
        #expect(verbose.err.contains("ignored key general.repo_binary"))
        let cookbook = try Scratch.run("redox-installer", ["-c", odd, "--cookbook", root + "/nope", root + "/x.img"])
        #expect(cookbook.status == 1 && cookbook.err.contains("cookbook not found"))
    }
}
