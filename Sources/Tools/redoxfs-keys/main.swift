import ArgumentParser
import RedoxFS
import RedoxFSCommandSupport
import RedoxFSTools

/// `redoxfs-keys list|add|remove|change DISK`: the passwords (key slots) of an encrypted image.
struct Keys: ParsableCommand {
    static let tool = "redoxfs-keys"

    static let configuration = CommandConfiguration(
        commandName: tool,
        abstract: "Manage the passwords (key slots) of an encrypted RedoxFS image.",
        discussion: """
            An encrypted file system has 64 key slots, each wrapping the same data keys under its \
            own password. Changes rewrite only the header, in one commit each; no data is \
            re-encrypted. Removing or changing a password also rewrites the older headers of the \
            ring, so that no copy of the retired slot stays on the disk. (Whoever knew a removed \
            password could have kept the data keys: to lock them out for good, copy the data into \
            a new file system with redoxfs-clone --encrypt.)

            Passwords come from --password-file / --new-password-file, else one line each of \
            standard input (current password first), else prompts on the terminal (echo off).
            """,
        subcommands: [List.self, Add.self, Remove.self, Change.self])
}

extension Keys {
    /// `list`: the used slots (needs no password; headers are not encrypted).
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the used key slots.")

        @OptionGroup var image: ImageOptions

        @Flag(help: "Also ask for a password and show which slot it opens.")
        var check = false

        func run() throws {
            let region = image.regionOrExit(tool: Keys.tool)
            do {
                let location = try DiskFormatter.locateHeader(
                    region.path, byteOffset: region.byteOffset, byteLength: region.byteLength, startBlock: try image.startBlock())
                let header = location.header
                guard header.isEncrypted else {
                    throw FileSystemError.invalidArgument("the file system is not encrypted: it has no key slots")
                }
                var opened: Int?
                if check {
                    let (fs, password) = try image.openKeepingPassword(region, readOnly: true, prompt: "\(Keys.tool): password: ")
                    defer { fs.close() }
                    opened = password.flatMap { fs.keySlot(opening: $0) }
                }
                let used = (0..<RedoxFS.keySlotCount).filter { !header.keySlot($0).isEmpty }
                print("\(region.name): \(used.count) of \(RedoxFS.keySlotCount) key slots in use (uuid \(FileSystem.format(uuid: header.uuid)))")
                for n in used {
                    let salt = header.keySlot(n).salt.prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                    print("slot \(n): in use, salt \(salt)…\(opened == n ? ", opened by the given password" : "")")
                }
            } catch {
                exitWithError(Keys.tool, region: region, error)
            }
        }
    }

    /// `add`: a new password in a free slot.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a password.",
            discussion: "Asks for an existing password (to unlock), then the new one.")

        @OptionGroup var image: ImageOptions

        @Option(help: "Read the new password from this file.")
        var newPasswordFile: String?

        @Option(help: "The slot to fill (default: the lowest free one).")
        var slot: Int?

        func run() throws {
            let region = image.regionOrExit(tool: Keys.tool)
            do {
                let fs = try image.open(region, readOnly: false, tool: Keys.tool)
                defer { fs.close() }
                try Keys.requireEncrypted(fs)
                let password = try PasswordInput.readNew(
                    file: newPasswordFile, prompt: "\(Keys.tool): new password: ",
                    confirmation: "\(Keys.tool): repeat new password: ")
                let added = try fs.addPassword(password, slot: slot)
                print("\(region.name): added a password in key slot \(added)")
            } catch {
                exitWithError(Keys.tool, region: region, error)
            }
        }
    }

    /// `remove`: empties a slot, never the last one.
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a password (never the last one).",
            discussion: """
                Without --slot, asks for the password to remove and empties the slot it opens. With \
                --slot N, asks for any password that opens the image and empties slot N.
                """)

        @OptionGroup var image: ImageOptions

        @Option(help: "The slot to empty.")
        var slot: Int?

        func run() throws {
            let region = image.regionOrExit(tool: Keys.tool)
            do {
                let prompt = slot == nil ? "\(Keys.tool): password to remove: " : "\(Keys.tool): password: "
                let (fs, password) = try image.openKeepingPassword(region, readOnly: false, prompt: prompt)
                defer { fs.close() }
                try Keys.requireEncrypted(fs)
                let target = try slot ?? Keys.slot(opening: password, in: fs)
                try fs.removeKeySlot(target)
                print("\(region.name): removed key slot \(target); \(fs.usedKeySlots.count) in use")
            } catch {
                exitWithError(Keys.tool, region: region, error)
            }
        }
    }

    /// `change`: a new password for a slot.
    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a password.",
            discussion: """
                Without --slot, asks for the current password and replaces it in the slot it opens. \
                With --slot N, asks for any password that opens the image and sets slot N's. Then \
                asks for the new password.
                """)

        @OptionGroup var image: ImageOptions

        @Option(help: "Read the new password from this file.")
        var newPasswordFile: String?

        @Option(help: "The slot to change.")
        var slot: Int?

        func run() throws {
            let region = image.regionOrExit(tool: Keys.tool)
            do {
                let prompt = slot == nil ? "\(Keys.tool): current password: " : "\(Keys.tool): password: "
                let (fs, password) = try image.openKeepingPassword(region, readOnly: false, prompt: prompt)
                defer { fs.close() }
                try Keys.requireEncrypted(fs)
                let target = try slot ?? Keys.slot(opening: password, in: fs)
                let new = try PasswordInput.readNew(
                    file: newPasswordFile, prompt: "\(Keys.tool): new password: ",
                    confirmation: "\(Keys.tool): repeat new password: ")
                try fs.changePassword(inSlot: target, to: new)
                print("\(region.name): changed the password of key slot \(target)")
            } catch {
                exitWithError(Keys.tool, region: region, error)
            }
        }
    }

    static func requireEncrypted(_ fs: FileSystem) throws(FileSystemError) {
        guard fs.isEncrypted else { throw .invalidArgument("the file system is not encrypted: it has no key slots") }
    }

    /// The slot `password` opens (it opened the image, so one does).
    static func slot(opening password: [UInt8]?, in fs: FileSystem) throws(FileSystemError) -> Int {
        guard let password, let slot = fs.keySlot(opening: password) else {
            throw .invalidArgument("no key slot holds the given password")
        }
        return slot
    }
}

Keys.main()
