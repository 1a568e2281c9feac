import Testing
@testable import Cookbook

/// recipe.toml parsing, package names, templates, dependency order, installer configurations.
@Suite struct RecipeTests {
    @Test func parsesEveryTemplateAndSource() throws {
        let custom = try Recipe(text: """
            [source]
            tar = "https://example.org/foo-1.2.3.tar.gz"
            blake3 = "ab"
            patches = ["a.patch"]
            [build]
            template = "custom"
            script = "make"
            dependencies = ["liba", "host:tool"]
            dev-dependencies = ["host:cc"]
            [package]
            dependencies = ["runtime"]
            [[optional-packages]]
            name = "doc"
            files = ["usr/share/doc/*"]
            dependencies = [".extra"]
            """, directory: "/r/foo")
        #expect(custom.name == "foo")
        #expect(custom.source == .tar(url: "https://example.org/foo-1.2.3.tar.gz", blake3: "ab", patches: ["a.patch"], script: nil))
        #expect(custom.template == .custom(script: "make"))
        #expect(custom.buildDependencies.map(\.description) == ["liba", "host:tool"])
        #expect(custom.devDependencies.first?.isHost == true)
        #expect(custom.optionalPackages == [OptionalPackage(name: "doc", files: ["usr/share/doc/*"], dependencies: [".extra"])])

        let meta = try Recipe(text: "[package]\ndependencies = [\"a\", \"b\"]\n", directory: "/r/meta")
        #expect(meta.template == .none)
        #expect(meta.source == .existing)

        for template in ["cargo", "configure", "cmake", "meson", "python"] {
            let recipe = try Recipe(text: "[build]\ntemplate = \"\(template)\"\n", directory: "/r/x")
            #expect(recipe.template.name == template)
            #expect(throws: CookbookError.self) { _ = try recipe.template.script(recipe: "x", target: "x86_64-unknown-redox", isHost: false) }
            #expect(try !recipe.template.script(recipe: "x", target: "x86_64-unknown-linux-gnu", isHost: true).isEmpty)
        }
        let cmake = try Recipe(text: "[build]\ntemplate = \"cmake\"\n", directory: "/r/x")
        do {
            _ = try cmake.template.script(recipe: "x", target: "x86_64-unknown-redox", isHost: false)
        } catch {
            #expect(error.description == "template cmake is not supported for target x86_64-unknown-redox")
        }
    }

    @Test func swiftTemplateScripts() throws {
        let recipe = try Recipe(text: """
            [build]
            template = "swift"
            swiftpath = "src"
            swiftflags = ["-DREDOX"]
            """, directory: "/r/hello-world")
        let target = try recipe.template.script(recipe: "hello-world", target: "x86_64-unknown-redox", isHost: false)
        #expect(target.contains("COOKBOOK_SWIFT_MODULE=\"hello_world\""))
        #expect(target.contains("COOKBOOK_SWIFT_FLAGS+=(\"-DREDOX\")"))
        #expect(target.contains("cookbook_swift_embedded \"usr/lib/hello_world.o\""))
        let host = try recipe.template.script(recipe: "hello-world", target: "x86_64-unknown-linux-gnu", isHost: true)
        #expect(host.contains("cookbook_swift_host \"usr/bin/hello-world\""))
    }

    @Test(arguments: [
        "[build]\ntemplate = \"go\"\n", "[build]\ntemplate = \"custom\"\n", "[build\n", "[source]\nrev = \"x\"\n",
        "[build]\ndependencies = [\"a/b\"]\n", "[build]\ndependencies = \"a\"\n", "[bogus]\n",
        "[[optional-packages]]\nfiles = []\n",
    ])
    func malformedRecipesAreRefusedClearly(text: String) {
        #expect(throws: CookbookError.self) { try Recipe(text: text, directory: "/r/bad") }
    }

    @Test func packageNames() throws {
        let host = try PackageName("host:gcc")
        #expect(host.isHost && host.recipe == "gcc")
        let optional = try PackageName("foo.dev")
        #expect(optional.optional == "dev" && optional.mandatory.description == "foo")
        for bad in ["", "a/b", "a.b.c", "x:y", "host:a:b"] {
            #expect(throws: CookbookError.self, "\(bad)") { try PackageName(bad) }
        }
    }

    @Test func dependencyOrderAndCycles() throws {
        let fixture = try CookbookFixture()
        defer { fixture.cleanUp() }
        try fixture.recipe("app", "[build]\ntemplate = \"none\"\ndependencies = [\"libb\", \"liba\"]\ndev-dependencies = [\"host:tool\"]\n[package]\ndependencies = [\"runtime\"]\n")
        try fixture.recipe("libb", "[build]\ntemplate = \"none\"\ndependencies = [\"liba\"]\n")
        try fixture.recipe("liba", "[build]\ntemplate = \"none\"\n")
        try fixture.recipe("tool", "[build]\ntemplate = \"none\"\ndependencies = [\"liba\"]\n")
        try fixture.recipe("runtime", "[build]\ntemplate = \"none\"\n")
        let catalog = try RecipeCatalog(root: fixture.root)
        let plan = try DependencyPlan(requested: [PackageName("app")], catalog: catalog, withPackageDependencies: false)
        #expect(plan.order.map(\.description) == ["liba", "libb", "host:liba", "host:tool", "app"])
        let withRuntime = try DependencyPlan(requested: [PackageName("app")], catalog: catalog, withPackageDependencies: true)
        #expect(withRuntime.order.map(\.description).last == "app" && withRuntime.order.contains { $0.recipe == "runtime" })
        #expect(plan.dependents(of: BuildUnit(recipe: "liba", isHost: false)).map(\.description).sorted() == ["app", "libb"])

        try fixture.recipe("loop-a", "[build]\ntemplate = \"none\"\ndependencies = [\"loop-b\"]\n")
        try fixture.recipe("loop-b", "[build]\ntemplate = \"none\"\ndependencies = [\"loop-a\"]\n")
        let cyclic = try RecipeCatalog(root: fixture.root)
        #expect(throws: CookbookError.self) { try DependencyPlan(requested: [PackageName("loop-a")], catalog: cyclic, withPackageDependencies: false) }
        #expect(throws: CookbookError.self) { try DependencyPlan(requested: [PackageName("missing")], catalog: cyclic, withPackageDependencies: false) }
    }

    @Test func filesystemConfigMergesIncludesAndSkipsIgnored() throws {
        let fixture = try CookbookFixture()
        defer { fixture.cleanUp() }
        try fixture.write("config/base.toml", "[packages]\nbase-files = {}\nkernel = {}\ndrop = {}\n")
        try fixture.write("config/desktop.toml", "include = [\"base.toml\"]\n[packages]\nbootloader = \"source\"\ndrop = \"ignore\"\n")
        let config = try FilesystemConfig(path: fixture.root + "/config/desktop.toml")
        #expect(config.recipeNames == ["base-files", "bootloader", "kernel"])
        try fixture.write("config/bad.toml", "[packages]\nx = 3\n")
        #expect(throws: CookbookError.self) { try FilesystemConfig(path: fixture.root + "/config/bad.toml") }
        try fixture.write("config/loop.toml", "include = [\"loop.toml\"]\n")
        #expect(throws: CookbookError.self) { try FilesystemConfig(path: fixture.root + "/config/loop.toml") }
    }
}
