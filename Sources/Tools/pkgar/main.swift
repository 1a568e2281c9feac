// pkgar: create, extract, list, remove, replace, split and verify signed packages (upstream's
// command line, pkgar.md §3).
import ArgumentParser
import Pkgar

struct KeyOptions: ParsableArguments {
    @Option(name: [.customShort("p"), .customLong("pkey")], help: "Public key file.")
    var publicKey: String = KeyPaths.defaultPublicKey

    func load() throws -> PublicKey { try PublicKey.load(publicKey) }
}

struct ArchiveOption: ParsableArguments {
    @Option(name: [.customShort("a"), .customLong("archive")], help: "Archive file (.pkgar).")
    var archive: String
}

struct PkgarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkgar",
        abstract: "Create, verify and install signed pkgar packages.",
        subcommands: [Create.self, Extract.self, List.self, Remove.self, Replace.self, Split.self, Verify.self])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PkgarError {
            printError(error.description)
            exit(withError: ExitCode.failure)
        } catch {
            exit(withError: error)
        }
    }

    static func printError(_ message: String) {
        var standardError = StandardError()
        print("error: \(message)", to: &standardError)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { PassphrasePrompt.writeError(string) }
}

extension PkgarCommand {
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an archive from a directory.")
        @Option(name: [.customShort("s"), .customLong("skey")], help: "Secret key file.")
        var secretKey: String = KeyPaths.defaultSecretKey
        @OptionGroup var archive: ArchiveOption
        @Flag(name: [.customShort("c"), .customLong("compress")], help: "Compress entries with LZMA2.")
        var compress = false
        @Argument(help: "Directory to archive.") var basedir: String = "."

        func run() throws {
            let key = try SecretKey.load(secretKey) { PassphrasePrompt.read("Passphrase for \(secretKey): ") }
            try PackageBuilder.create(archivePath: archive.archive, from: basedir, secretKey: key, packaging: compress ? .lzma2 : .uncompressed)
        }
    }

    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify an archive and install its files under a directory.")
        @OptionGroup var key: KeyOptions
        @OptionGroup var archive: ArchiveOption
        @Argument(help: "Target directory.") var basedir: String = "."

        func run() throws {
            try Package.open(archive.archive, trustedKey: key.load()).extract(to: basedir)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify an archive and list its entries.")
        @OptionGroup var key: KeyOptions
        @OptionGroup var archive: ArchiveOption

        func run() throws {
            let package = try Package.open(archive.archive, trustedKey: key.load())
            for entry in package.entries { print(entry.path) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an archive's unchanged files from a directory.")
        @OptionGroup var key: KeyOptions
        @OptionGroup var archive: ArchiveOption
        @Argument(help: "Target directory.") var basedir: String = "."

        func run() throws {
            var transaction = Transaction()
            try transaction.remove(Package.open(archive.archive, trustedKey: key.load()), from: basedir)
            try transaction.commit()
        }
    }

    struct Replace: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace an installed archive by a new one.")
        @OptionGroup var key: KeyOptions
        @Option(name: .customLong("old-pkey"), help: "Public key of the old archive (default: --pkey).")
        var oldPublicKey: String?
        @Option(name: .customLong("old-archive"), help: "The installed archive.") var oldArchive: String
        @OptionGroup var archive: ArchiveOption
        @Argument(help: "Target directory.") var basedir: String = "."

        func run() throws {
            let newKey = try key.load()
            let oldKey = try oldPublicKey.map { try PublicKey.load($0) } ?? newKey
            var transaction = Transaction()
            try transaction.replace(
                old: Package.open(oldArchive, trustedKey: oldKey), new: Package.open(archive.archive, trustedKey: newKey), root: basedir)
            try transaction.commit()
        }
    }

    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Split an archive into head and data files.")
        @OptionGroup var key: KeyOptions
        @OptionGroup var archive: ArchiveOption
        @Argument(help: "Head file to write.") var head: String
        @Argument(help: "Data file to write.") var data: String?

        func run() throws {
            try Package.open(archive.archive, trustedKey: key.load()).split(headPath: head, dataPath: data)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check installed files against an archive.")
        @OptionGroup var key: KeyOptions
        @OptionGroup var archive: ArchiveOption
        @Argument(help: "Installed directory.") var basedir: String = "."

        func run() throws {
            try Package.open(archive.archive, trustedKey: key.load()).verifyInstalled(root: basedir)
        }
    }
}

PkgarCommand.main()
