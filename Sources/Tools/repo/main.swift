// repo: the cookbook's command line (cookbook.md §10) — fetch, cook, clean, unfetch, push and
// lists over the recipes under recipes/, run from the repository root.
import ArgumentParser
import Cookbook
import Foundation
import Pkgar

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { PassphrasePrompt.writeError(string) }
}

/// What every command takes: the recipe names or a configuration, and where things go.
struct Selection: ParsableArguments {
    @Argument(help: "Recipe names (host:name for host builds).") var recipes: [String] = []
    @Option(help: "Take the recipe list from an installer configuration's [packages].") var filesystem: String?
    @Flag(help: "Every recipe under recipes/.") var all = false
    @Option(help: "Every recipe under recipes/<category>/.") var category: String?
    @Option(help: "The cookbook root (default: the current folder).") var cookbook: String = FileManager.default.currentDirectoryPath
    @Option(help: "The package repository folder (default: <cookbook>/repo).") var repo: String?
    @Option(help: "Target triple (default: COOKBOOK_TARGET or x86_64-unknown-redox).") var target: String?
    @Option(name: .customLong("jobs"), help: "Recipes built at once (default: the number of cores).") var jobs: Int?
    @Flag(name: .customLong("with-package-deps"), help: "Also build and publish runtime dependencies.") var withPackageDependencies = false
    @Flag(help: "No network: sources must be local or already fetched.") var offline = false

    func options() -> CookOptions {
        var options = CookOptions.fromEnvironment()
        if let target { options.target = target }
        if let jobs, jobs > 0 { options.jobs = jobs }
        if offline { options.offline = true }
        return options
    }

    func commands() throws -> CookbookCommands {
        let commands = try CookbookCommands(root: cookbook, options: options())
        for name in commands.context.catalog.duplicates {
            var standardError = StandardError()
            print("warning: more than one recipe is named \(name); using \(commands.context.catalog.directories[name] ?? "")", to: &standardError)
        }
        return commands
    }

    /// The requested package names, from the arguments, the configuration, --all or --category.
    func names(_ commands: CookbookCommands) throws -> [PackageName] {
        var texts = recipes
        if recipes.isEmpty, let filesystem {
            let config = try FilesystemConfig(path: filesystem)
            texts = config.recipeNames
            let missing = texts.filter { commands.context.catalog.directories[$0] == nil }
            if !missing.isEmpty {
                throw CookbookError.io("\(filesystem) names packages without a recipe: \(missing.joined(separator: ", "))")
            }
        }
        if all { texts += commands.context.catalog.names }
        if let category { texts += commands.context.catalog.names(inCategory: category) }
        guard !texts.isEmpty else { throw ValidationError("name recipes, or use --filesystem, --all or --category") }
        return try texts.map { try PackageName($0) }
    }

    var repositoryPath: String { repo ?? cookbook + "/repo" }
}

struct Repo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo",
        abstract: "Build recipes into signed pkgar packages and a local repository.",
        discussion: "Builds run in a bubblewrap sandbox without network and are cached by content (build/cache).",
        subcommands: [Fetch.self, Cook.self, Clean.self, CleanTarget.self, Unfetch.self, Push.self, CookList.self, RepoList.self])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CookbookError {
            var standardError = StandardError()
            print("error: \(error.description)", to: &standardError)
            Foundation.exit(1)
        } catch let error as PkgarError {
            var standardError = StandardError()
            print("error: \(error.description)", to: &standardError)
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

extension Repo {
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch the sources of recipes and their dependencies.")
        @OptionGroup var selection: Selection
        func run() throws {
            let commands = try selection.commands()
            try commands.fetch(selection.names(commands), withPackageDependencies: selection.withPackageDependencies)
        }
    }

    struct Cook: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch, build, package and publish recipes.", aliases: ["rebuild"])
        @OptionGroup var selection: Selection
        func run() throws {
            let commands = try selection.commands()
            let start = Date()
            let summary = try commands.cook(
                selection.names(commands), repository: selection.repositoryPath,
                withPackageDependencies: selection.withPackageDependencies || selection.filesystem != nil)
            let seconds = Date().timeIntervalSince(start)
            print(String(format: "cooked %d recipes: %d successful, %d cached, %d failed (%.2f s)",
                         summary.plan.order.count, summary.units(with: .successful).count,
                         summary.units(with: .cached).count, summary.units(with: .failed).count, seconds))
            if !summary.failed.isEmpty { throw ExitCode.failure }
        }
    }

    struct Clean: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete recipes' target/ folders (the build cache is kept).")
        @OptionGroup var selection: Selection
        func run() throws {
            let commands = try selection.commands()
            try commands.clean(selection.names(commands).map(\.recipe))
        }
    }

    struct CleanTarget: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clean-target", abstract: "Delete recipes' target/<triple>/ folders.")
        @OptionGroup var selection: Selection
        func run() throws {
            let commands = try selection.commands()
            try commands.clean(selection.names(commands).map(\.recipe), onlyTarget: true)
        }
    }

    struct Unfetch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete fetched sources and target/ folders.")
        @OptionGroup var selection: Selection
        func run() throws {
            let commands = try selection.commands()
            try commands.unfetch(selection.names(commands).map(\.recipe), all: selection.all)
        }
    }

    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install built packages into a sysroot.")
        @OptionGroup var selection: Selection
        @Option(help: "The folder to install into.") var sysroot: String = "sysroot"
        @Flag(name: .customLong("no-metadata"), help: "Only extract; do not record packages.") var noMetadata = false
        func run() throws {
            let commands = try selection.commands()
            try commands.push(selection.names(commands), sysroot: sysroot, metadata: !noMetadata)
        }
    }

    struct CookList: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cook-list", abstract: "List the build order and what would be rebuilt.")
        @OptionGroup var selection: Selection
        func run() throws {
            let commands = try selection.commands()
            for (unit, cached) in try commands.cookList(selection.names(commands)) {
                print("\(unit) - \(cached ? "cached" : "needs building")")
            }
        }
    }

    struct RepoList: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "repo-list", abstract: "List recipes and their folders.", aliases: ["find"])
        @OptionGroup var selection: Selection
        @Option(help: "name, path or csv.") var display: String = "name"
        func run() throws {
            let commands = try selection.commands()
            let catalog = commands.context.catalog
            let names = selection.recipes.isEmpty && selection.filesystem == nil && selection.category == nil
                ? catalog.names : try selection.names(commands).map(\.recipe)
            for name in names {
                let path = catalog.directories[name] ?? "(missing)"
                switch display {
                case "path": print(path)
                case "csv": print("\(name),\(path)")
                default: print(name)
                }
            }
        }
    }
}

Repo.main()
