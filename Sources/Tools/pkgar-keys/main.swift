// pkgar-keys: generate, re-encrypt and export Ed25519 key files (pkgar.md §3).
import ArgumentParser
import Pkgar

struct PkgarKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkgar-keys", abstract: "Manage pkgar signing keys.",
        subcommands: [Generate.self, Reencrypt.self, Export.self])

    @Option(name: [.customShort("s"), .customLong("skey")], help: "Secret key file.")
    var secretKey: String = KeyPaths.defaultSecretKey

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PkgarError {
            var standardError = StandardError()
            print("error: \(error.description)", to: &standardError)
            exit(withError: ExitCode.failure)
        } catch {
            exit(withError: error)
        }
    }

    static func newPassphrase() throws -> [UInt8] {
        let first = PassphrasePrompt.read("New passphrase (empty for a plaintext key): ")
        let second = PassphrasePrompt.read("Repeat the passphrase: ")
        guard first == second else { throw ValidationError("the passphrases differ") }
        return first
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { PassphrasePrompt.writeError(string) }
}

extension PkgarKeysCommand {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gen", abstract: "Generate a key pair.")
        @OptionGroup var parent: PkgarKeysCommand
        @Option(name: [.customShort("p"), .customLong("pkey")], help: "Public key file.")
        var publicKey: String = KeyPaths.defaultPublicKey
        @Flag(name: [.customShort("P"), .customLong("plaintext")], help: "Store the secret key without a passphrase.")
        var plaintext = false
        @Flag(name: [.customShort("f"), .customLong("force")], help: "Overwrite existing key files.")
        var force = false

        func run() throws {
            let secretPath = parent.secretKey
            if !force {
                for path in [secretPath, publicKey] where try Posix.status(path) != nil {
                    throw ValidationError("\(path) exists; use --force to overwrite it")
                }
            }
            let passphrase = plaintext ? [] : try PkgarKeysCommand.newPassphrase()
            for path in [secretPath, publicKey] {
                if let slash = path.lastIndex(of: "/") { try Posix.makeDirectories(String(path[..<slash])) }
            }
            let key = SecretKey.generate()
            try key.save(to: secretPath, passphrase: passphrase)
            try key.publicKey.save(to: publicKey)
            print("public key: \(key.publicKey.hex)")
        }
    }

    struct Reencrypt: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rencrypt", abstract: "Change the secret key's passphrase.")
        @OptionGroup var parent: PkgarKeysCommand

        func run() throws {
            let path = parent.secretKey
            let key = try SecretKey.load(path) { PassphrasePrompt.read("Old passphrase: ") }
            try key.save(to: path, passphrase: PkgarKeysCommand.newPassphrase())
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the public key of the secret key.")
        @OptionGroup var parent: PkgarKeysCommand
        @Option(name: [.customShort("f"), .customLong("file")], help: "Output file (default: standard output).")
        var file: String?

        func run() throws {
            let path = parent.secretKey
            let key = try SecretKey.load(path) { PassphrasePrompt.read("Passphrase for \(path): ") }
            if let file {
                try key.publicKey.save(to: file)
            } else {
                print(key.publicKey.fileText, terminator: "")
            }
        }
    }
}

PkgarKeysCommand.main()
