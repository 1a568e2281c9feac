/// A filesystem configuration in upstream's format (installer.md §1): what goes on the disk.
/// Every field is optional in the file; `nil` means "absent" so merging can tell "unset" from
/// "set to the default".
public struct Configuration: Equatable, Sendable {
    public var general = General()
    /// Package name → what to do with it (sorted map, as upstream's BTreeMap).
    public var packages: [String: PackageSpec] = [:]
    /// Files in order: includes first, then the including file.
    public var files: [FileEntry] = []
    public var users: [String: User] = [:]
    public var groups: [String: Group] = [:]

    public init() {}

    /// Names of the packages to install (every key whose rule is not `"ignore"`), sorted.
    public var installedPackageNames: [String] {
        packages.filter { !$0.value.isIgnored }.keys.sorted()
    }
}

/// The `[general]` table (installer.md §1.2).
public struct General: Equatable, Sendable {
    public var cookbook: String?
    public var prompt: Bool?
    /// MiB.
    public var filesystemSize: UInt32?
    /// MiB; default 1.
    public var efiPartitionSize: UInt32?
    public var skipPartitions: Bool?
    public var encryptDisk: String?
    public var liveDisk: Bool?
    /// A file that also gets the UEFI loader (a pipe too). A pipe whose reader has gone is a
    /// write error only where SIGPIPE is ignored: the tool ignores it, a library caller must
    /// ignore it itself (else the signal ends the process).
    public var writeBootloader: String?
    public var noMount: Bool?

    public init() {}

    /// `other` wins field by field where set; `prompt` is deliberately not merged (upstream's quirk).
    mutating func merge(_ other: General) {
        cookbook = other.cookbook ?? cookbook
        filesystemSize = other.filesystemSize ?? filesystemSize
        efiPartitionSize = other.efiPartitionSize ?? efiPartitionSize
        skipPartitions = other.skipPartitions ?? skipPartitions
        encryptDisk = other.encryptDisk ?? encryptDisk
        liveDisk = other.liveDisk ?? liveDisk
        writeBootloader = other.writeBootloader ?? writeBootloader
        noMount = other.noMount ?? noMount
    }
}

/// One `[packages]` value: a table (`{}`, optional version/git/path, unused) or a rule string.
public enum PackageSpec: Equatable, Sendable {
    case table(version: String?, git: String?, path: String?)
    case rule(String)

    /// Rule `"ignore"`: not installed, not listed.
    public var isIgnored: Bool { self == .rule("ignore") }
}

/// One `[[files]]` entry (installer.md §1.4).
public struct FileEntry: Equatable, Sendable {
    public var path: String
    public var data: String
    public var symlink = false
    public var directory = false
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public var recursiveChown = false
    public var postinstall = false
    public var append = false
    /// This project's extension (upstream ignores the key): a host file whose bytes are the
    /// content instead of `data` (binary files such as the loader and kernel). Resolved against
    /// the folder of the configuration file that names it.
    public var source: String?

    public init(path: String, data: String) {
        self.path = path
        self.data = data
    }
}

/// One `[users.<name>]` table (installer.md §1.5).
public struct User: Equatable, Sendable {
    /// nil: prompt (when `prompt` is true) or empty; "" means no password.
    public var password: String?
    public var uid: UInt32?
    public var gid: UInt32?
    public var name: String?
    public var home: String?
    public var shell: String?

    public init() {}
}

/// One `[groups.<name>]` table.
public struct Group: Equatable, Sendable {
    public var gid: UInt32?
    public var members: [String]

    public init(gid: UInt32? = nil, members: [String]) {
        self.gid = gid
        self.members = members
    }
}

extension Configuration {
    /// Merges `other` into this configuration with upstream's rules (installer.md §1.1).
    public mutating func merge(_ other: Configuration) {
        general.merge(other.general)
        packages.merge(other.packages) { _, new in new }
        files += other.files
        users.merge(other.users) { _, new in new }
        groups.merge(other.groups) { _, new in new }
    }
}
