import Pkgar
import TOMLKit

/// Turns the text of one configuration file into a `Configuration` (its `include` list kept
/// apart), checking every known key's type and collecting the keys it does not know (ignored, as
/// upstream ignores them; `--verbose` lists them).
public struct ConfigurationParser {
    /// One parsed file.
    public struct Parsed: Equatable {
        public var configuration: Configuration
        public var includes: [String]
        /// Dotted names of keys that were ignored, in document order per table.
        public var unknownKeys: [String]
    }

    let file: String
    private var unknown: [String] = []

    /// `file` names the source in error messages.
    public init(file: String) {
        self.file = file
    }

    /// Parses `text`.
    public static func parse(_ text: String, file: String) throws(InstallerError) -> Parsed {
        var parser = ConfigurationParser(file: file)
        return try parser.parse(text)
    }

    mutating func parse(_ text: String) throws(InstallerError) -> Parsed {
        let table: TOMLTable
        do {
            table = try TOMLLoader.parse(text, file: file)
        } catch {
            throw fail(error.located)
        }
        var configuration = Configuration()
        var includes: [String] = []
        for key in table.keys {
            guard let value = table[key] else { continue }
            switch key {
            case "include":
                includes = try strings(value, "include")
            case "general":
                configuration.general = try general(try self.table(value, "general"))
            case "packages":
                let packages = try self.table(value, "packages")
                for name in packages.keys {
                    guard let spec = packages[name] else { continue }
                    configuration.packages[name] = try package(spec, "packages.\(name)")
                }
            case "files":
                guard let array = value.array else { throw fail("files: expected an array of tables ([[files]])") }
                for (index, element) in array.enumerated() {
                    configuration.files.append(try file(try self.table(element, "files[\(index)]"), "files[\(index)]"))
                }
            case "users":
                let users = try self.table(value, "users")
                for name in users.keys {
                    guard let user = users[name] else { continue }
                    configuration.users[name] = try self.user(try self.table(user, "users.\(name)"), "users.\(name)")
                }
            case "groups":
                let groups = try self.table(value, "groups")
                for name in groups.keys {
                    guard let group = groups[name] else { continue }
                    configuration.groups[name] = try self.group(try self.table(group, "groups.\(name)"), "groups.\(name)")
                }
            default:
                unknown.append(key)
            }
        }
        return Parsed(configuration: configuration, includes: includes, unknownKeys: unknown)
    }

    // MARK: Tables

    private mutating func general(_ table: TOMLTable) throws(InstallerError) -> General {
        var general = General()
        for key in table.keys {
            guard let value = table[key] else { continue }
            let name = "general.\(key)"
            switch key {
            case "cookbook": general.cookbook = try string(value, name)
            case "prompt": general.prompt = try bool(value, name)
            case "filesystem_size": general.filesystemSize = try uint32(value, name)
            case "efi_partition_size": general.efiPartitionSize = try uint32(value, name)
            case "skip_partitions": general.skipPartitions = try bool(value, name)
            case "encrypt_disk": general.encryptDisk = try string(value, name)
            case "live_disk": general.liveDisk = try bool(value, name)
            case "write_bootloader": general.writeBootloader = try string(value, name)
            case "no_mount": general.noMount = try bool(value, name)
            default: unknown.append(name)
            }
        }
        return general
    }

    private mutating func package(_ value: TOMLValueConvertible, _ name: String) throws(InstallerError) -> PackageSpec {
        if let rule = value.string { return .rule(rule) }
        guard let table = value.table else { throw fail("\(name): expected a table ({}) or a rule string") }
        var version: String?, git: String?, path: String?
        for key in table.keys {
            guard let field = table[key] else { continue }
            switch key {
            case "version": version = try string(field, "\(name).version")
            case "git": git = try string(field, "\(name).git")
            case "path": path = try string(field, "\(name).path")
            default: unknown.append("\(name).\(key)")
            }
        }
        return .table(version: version, git: git, path: path)
    }

    private mutating func file(_ table: TOMLTable, _ name: String) throws(InstallerError) -> FileEntry {
        guard let pathValue = table["path"] else { throw fail("\(name): missing key \"path\"") }
        guard let dataValue = table["data"] else { throw fail("\(name): missing key \"data\"") }
        var entry = FileEntry(path: try string(pathValue, "\(name).path"), data: try string(dataValue, "\(name).data"))
        for key in table.keys {
            guard let value = table[key] else { continue }
            let field = "\(name).\(key)"
            switch key {
            case "path", "data": break
            case "symlink": entry.symlink = try bool(value, field)
            case "directory": entry.directory = try bool(value, field)
            case "mode": entry.mode = try uint32(value, field)
            case "uid": entry.uid = try uint32(value, field)
            case "gid": entry.gid = try uint32(value, field)
            case "recursive_chown": entry.recursiveChown = try bool(value, field)
            case "postinstall": entry.postinstall = try bool(value, field)
            case "append": entry.append = try bool(value, field)
            case "source": entry.source = HostFiles.join(HostFiles.directory(of: file), try string(value, field))
            default: unknown.append(field)
            }
        }
        return entry
    }

    private mutating func user(_ table: TOMLTable, _ name: String) throws(InstallerError) -> User {
        var user = User()
        for key in table.keys {
            guard let value = table[key] else { continue }
            let field = "\(name).\(key)"
            switch key {
            case "password": user.password = try string(value, field)
            case "uid": user.uid = try uint32(value, field)
            case "gid": user.gid = try uint32(value, field)
            case "name": user.name = try string(value, field)
            case "home": user.home = try string(value, field)
            case "shell": user.shell = try string(value, field)
            default: unknown.append(field)
            }
        }
        return user
    }

    private mutating func group(_ table: TOMLTable, _ name: String) throws(InstallerError) -> Group {
        guard let members = table["members"] else { throw fail("\(name): missing key \"members\"") }
        var group = Group(members: try strings(members, "\(name).members"))
        for key in table.keys {
            guard let value = table[key] else { continue }
            switch key {
            case "members": break
            case "gid": group.gid = try uint32(value, "\(name).gid")
            default: unknown.append("\(name).\(key)")
            }
        }
        return group
    }

    // MARK: Values

    private func fail(_ message: String) -> InstallerError {
        .configuration(file: file, message)
    }

    private func table(_ value: TOMLValueConvertible, _ name: String) throws(InstallerError) -> TOMLTable {
        guard let table = value.table else { throw fail("\(name): expected a table") }
        return table
    }

    private func string(_ value: TOMLValueConvertible, _ name: String) throws(InstallerError) -> String {
        guard let string = value.string else { throw fail("\(name): expected a string") }
        return string
    }

    private func bool(_ value: TOMLValueConvertible, _ name: String) throws(InstallerError) -> Bool {
        guard let bool = value.bool else { throw fail("\(name): expected true or false") }
        return bool
    }

    private func uint32(_ value: TOMLValueConvertible, _ name: String) throws(InstallerError) -> UInt32 {
        guard let int = value.int else { throw fail("\(name): expected an integer") }
        guard let result = UInt32(exactly: int) else { throw fail("\(name): \(int) is out of range (0 to \(UInt32.max))") }
        return result
    }

    private func strings(_ value: TOMLValueConvertible, _ name: String) throws(InstallerError) -> [String] {
        guard let array = value.array else { throw fail("\(name): expected an array of strings") }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.string else { throw fail("\(name)[\(index)]: expected a string") }
            result.append(string)
        }
        return result
    }
}
