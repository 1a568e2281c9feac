import Foundation
import Testing
@testable import Cookbook
import Pkgar

/// Cooking small recipes for real: sandboxed builds, the content cache, sources, packaging.
@Suite(.serialized) struct CookTests {
    /// liba → app (build dependency), other independent, meta depends on app at run time.
    func writeRecipes(_ fixture: CookbookFixture) throws {
        try fixture.recipe("liba", """
            [build]
            template = "custom"
            script = '''
            mkdir -p "$COOKBOOK_STAGE/usr/lib"
            cat "$COOKBOOK_SOURCE/lib.txt" > "$COOKBOOK_STAGE/usr/lib/liba.txt"
            '''
            [package]
            version = "1.0"
            """, files: ["source/lib.txt": "library one\n"])
        try fixture.recipe("app", """
            [build]
            template = "custom"
            dependencies = ["liba"]
            script = '''
            mkdir -p "$COOKBOOK_STAGE/usr/bin" "$COOKBOOK_STAGE/usr/share/doc"
            { cat "$COOKBOOK_SOURCE/main.sh"; echo "# built with $(cat "$COOKBOOK_SYSROOT/usr/lib/liba.txt")"; } > "$COOKBOOK_STAGE/usr/bin/app"
            chmod 755 "$COOKBOOK_STAGE/usr/bin/app"
            echo docs > "$COOKBOOK_STAGE/usr/share/doc/app.txt"
            '''
            [package]
            version = "2.0"
            [[optional-packages]]
            name = "doc"
            files = ["usr/share/doc/*"]
            """, files: ["source/main.sh": "#!/bin/sh\necho app\n"])
        try fixture.recipe("other", """
            [build]
            template = "custom"
            script = "mkdir -p \\"$COOKBOOK_STAGE/etc\\" && echo \\"$SOURCE_DATE_EPOCH $TZ $LC_ALL $HOME\\" > \\"$COOKBOOK_STAGE/etc/other\\""
            """, files: ["source/.keep": ""])
        try fixture.recipe("meta", "[package]\ndependencies = [\"app\", \"other\"]\nversion = \"\"\n")
    }

    @Test func cachedByContentAcrossCleanAndOneByteChangeRebuildsExactlyDependents() throws {
        let fixture = try CookbookFixture()
        defer { fixture.cleanUp() }
        try writeRecipes(fixture)
        let names = ["meta", "app", "other"]
        let first = try fixture.cook(names)
        #expect(first == ["liba": .successful, "app": .successful, "other": .successful, "meta": .successful])
        let published = fixture.root + "/repo/x86_64-unknown-redox"
        let index = try RepositoryIndex.load(published + "/repo.toml")
        #expect(index.packages.keys.sorted() == ["app", "app.doc", "meta", "other"], "liba is a build dependency only")
        #expect(index.packages["meta"] == "")
        let key = try PublicKey.load(fixture.root + "/build/id_ed25519.pub.toml")
        let app = try Package.open(published + "/app.pkgar", trustedKey: key)
        #expect(app.entries.map(\.path) == ["usr/bin/app"])
        #expect(try String(decoding: app.content(of: app.entries[0]), as: UTF8.self).contains("built with library one"))
        #expect(try PackageMetadata.load(published + "/app.doc.toml").depends == ["app"])
        let other = try Package.open(published + "/other.pkgar", trustedKey: key)
        #expect(try String(decoding: other.content(of: other.entries[0]), as: UTF8.self) == "0 UTC C /tmp/home\n", "fixed environment")
        #expect(fixture.exists(fixture.root + "/build/logs/x86_64-unknown-redox/app.log"))

        #expect(try fixture.cook(names).values.allSatisfy { $0 == .cached })
        // Touching without changing, and a clean of every target/, rebuild nothing.
        try shell("touch recipes/core/liba/source/lib.txt recipes/core/app/recipe.toml", in: fixture.root)
        let commands = try CookbookCommands(root: fixture.root, options: fixture.options())
        try commands.clean(["liba", "app", "other", "meta"])
        #expect(try fixture.cook(names).values.allSatisfy { $0 == .cached })

        try fixture.write("recipes/core/liba/source/lib.txt", "library onE\n")
        let after = try fixture.cook(names)
        let rebuilt = after.filter { $0.value == .successful }.keys.sorted()
        #expect(rebuilt == ["app", "liba"], "rebuilt: \(rebuilt)")
        #expect(after["other"] == .cached && after["meta"] == .cached)
        let newApp = try Package.open(published + "/app.pkgar", trustedKey: key)
        #expect(try String(decoding: newApp.content(of: newApp.entries[0]), as: UTF8.self).contains("library onE"))
        let list = try commands.cookList([PackageName("meta"), PackageName("app")])
        #expect(list.allSatisfy { $0.cached })
    }

    @Test func sandboxRefusesWritesOutsideAndNetwork() throws {
        let fixture = try CookbookFixture()
        defer { fixture.cleanUp() }
        // A listener on the host's loopback: reachable from the host, not from a build.
        let listener = try LoopbackListener()
        defer { listener.close() }
        try shell("exec 3<>/dev/tcp/127.0.0.1/\(listener.port)", in: fixture.root)
        let attempts: [(String, String)] = [
            ("write-repo", "echo pwned > \(fixture.root)/recipes/pwned"),
            ("write-usr", "echo pwned > /usr/pwned-by-cookbook-test"),
            ("write-source", "echo pwned > \"$COOKBOOK_SOURCE/pwned\""),
            ("write-recipe", "echo pwned > \"$COOKBOOK_RECIPE/pwned\""),
            ("write-sysroot", "echo pwned > \"$COOKBOOK_SYSROOT/pwned\""),
            ("network", "exec 3<>/dev/tcp/127.0.0.1/\(listener.port)"),
            ("home", "test -d \"\(NSHomeDirectory())\""),
        ]
        for (name, script) in attempts {
            try fixture.recipe(name, "[build]\ntemplate = \"custom\"\nscript = '''\n\(script)\n'''\n", files: ["source/.keep": ""])
        }
        var options = fixture.options()
        options.nonstop = true
        let statuses = try fixture.cook(attempts.map(\.0), options: options)
        for (name, _) in attempts {
            #expect(statuses[name] == .failed, "\(name) should fail: \((try? fixture.read("build/logs/x86_64-unknown-redox/\(name).log")) ?? "")")
        }
        #expect(!fixture.exists("recipes/pwned"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/pwned-by-cookbook-test"))
        for name in ["write-source", "write-recipe"] {
            #expect(!fixture.exists("recipes/core/\(name)/source/pwned") && !fixture.exists("recipes/core/\(name)/pwned"))
        }
        #expect(try fixture.read("build/logs/x86_64-unknown-redox/network.log").contains("/dev/tcp"))
        let index = try RepositoryIndex.load(fixture.root + "/repo/x86_64-unknown-redox/repo.toml")
        #expect(index.packages.isEmpty && index.outdated.keys.sorted() == attempts.map(\.0).sorted())
    }

    @Test func tarAndGitSourcesAndUnsupportedTemplates() throws {
        let fixture = try CookbookFixture()
        defer { fixture.cleanUp() }
        let upstream = fixture.root + "/upstream"
        try fixture.write(upstream + "/tarball/hello-1.4.2/hello.txt", "from a tarball\n")
        try shell("tar -C tarball -cf hello-1.4.2.tar hello-1.4.2", in: upstream)
        let tarHash = try Hex.encode(Blake3.hash(Posix.readFile(upstream + "/hello-1.4.2.tar")))
        try fixture.write(upstream + "/repository/README", "from git\n")
        try shell("git init -q -b main . && git -c user.name=t -c user.email=t@t add . && git -c user.name=t -c user.email=t@t commit -qm one", in: upstream + "/repository")
        let commit = try shell("git rev-parse HEAD", in: upstream + "/repository").trimmingCharacters(in: .whitespacesAndNewlines)
        try fixture.recipe("fromtar", """
            [source]
            tar = "\(upstream)/hello-1.4.2.tar"
            blake3 = "\(tarHash)"
            [build]
            template = "custom"
            script = "mkdir -p \\"$COOKBOOK_STAGE/usr/share\\" && cp \\"$COOKBOOK_SOURCE/hello.txt\\" \\"$COOKBOOK_STAGE/usr/share/\\""
            """)
        try fixture.recipe("fromgit", """
            [source]
            git = "\(upstream)/repository"
            rev = "\(commit)"
            [build]
            template = "custom"
            script = "mkdir -p \\"$COOKBOOK_STAGE/usr/share\\" && cp \\"$COOKBOOK_SOURCE/README\\" \\"$COOKBOOK_STAGE/usr/share/\\""
            """)
        try fixture.recipe("badtar", """
            [source]
            tar = "\(upstream)/hello-1.4.2.tar"
            blake3 = "\(String(repeating: "0", count: 64))"
            [build]
            template = "custom"
            script = "true"
            """)
        try fixture.recipe("cmakething", "[build]\ntemplate = \"cmake\"\n", files: ["source/.keep": ""])
        var options = fixture.options()
        options.nonstop = true
        let statuses = try fixture.cook(["fromtar", "fromgit", "badtar", "cmakething"], options: options)
        #expect(statuses == ["fromtar": .successful, "fromgit": .successful, "badtar": .failed, "cmakething": .failed])
        let published = fixture.root + "/repo/x86_64-unknown-redox"
        let tarMetadata = try PackageMetadata.load(published + "/fromtar.toml")
        #expect(tarMetadata.version == "1.4.2" && tarMetadata.sourceIdentifier == tarHash)
        #expect(try PackageMetadata.load(published + "/fromgit.toml").sourceIdentifier == commit)
    }

    @Test func twoCleanCooksInDifferentFoldersAreByteIdentical() throws {
        let first = try CookbookFixture("cookbook-repro-a"), second = try CookbookFixture("cookbook-repro-b")
        defer { first.cleanUp(); second.cleanUp() }
        for fixture in [first, second] {
            try writeRecipes(fixture)
            try fixture.recipe("hello", """
                [build]
                template = "swift"
                [package]
                version = "0.1.0"
                """, files: ["source/Hello.swift": "public func hello() -> Int { 42 }\n"])
            try fixture.recipe("spin", """
                [build]
                template = "swift"
                linkflags = ["-static", "--no-dynamic-linker", "-e", "_start", "--gc-sections"]
                install = "usr/bin/spin"
                [package]
                version = "0.1.0"
                """, files: ["source/main.swift": "@_cdecl(\"_start\")\npublic func start() -> Never {\n    while true {}\n}\n"])
        }
        // The same signing key in both (packages are signed; Ed25519 is deterministic).
        _ = try CookbookCommands(root: first.root, options: first.options()).context.signingKey()
        try FileManager.default.createDirectory(atPath: second.root + "/build", withIntermediateDirectories: true)
        for name in ["id_ed25519.toml", "id_ed25519.pub.toml"] {
            try FileManager.default.copyItem(atPath: first.root + "/build/" + name, toPath: second.root + "/build/" + name)
        }
        for fixture in [first, second] {
            #expect(try fixture.cook(["meta", "app", "other", "hello", "spin"]).values.allSatisfy { $0 == .successful })
        }
        let folder = "/repo/x86_64-unknown-redox/"
        let files = try FileManager.default.contentsOfDirectory(atPath: first.root + folder).sorted()
        #expect(files.contains("hello.pkgar") && files.contains("repo.toml"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: second.root + folder).sorted() == files)
        for file in files where file.hasSuffix(".pkgar") || file == "repo.toml" {
            #expect(try first.sha256(first.root + folder + file) == second.sha256(second.root + folder + file), "\(file)")
        }
        let key = try PublicKey.load(first.root + "/build/id_ed25519.pub.toml")
        #expect(try Package.open(first.root + folder + "hello.pkgar", trustedKey: key).entries.map(\.path) == ["usr/lib/hello.o"])
        let spin = try Package.open(first.root + folder + "spin.pkgar", trustedKey: key)
        #expect(spin.entries.map(\.path) == ["usr/bin/spin"])
        #expect(try Array(spin.content(of: spin.entries[0]).prefix(4)) == [0x7F, 0x45, 0x4C, 0x46], "a linked ELF")
    }
}

/// A TCP socket listening on 127.0.0.1 (kernel-completed connections need no accept).
final class LoopbackListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw CookbookError.io("cannot listen on 127.0.0.1") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        _ = self.descriptor
    }

    func close() { _ = Glibc.close(descriptor) }
}
