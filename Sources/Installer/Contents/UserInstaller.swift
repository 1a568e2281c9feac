/// Users and groups (installer.md §1.5): ids from upstream's counters, home directories with
/// the XDG folders, `user-dirs.dirs` and `/etc/skel`, then `/etc/passwd`, `/etc/shadow` and
/// `/etc/group` in Redox's `;`-separated formats.
public struct UserInstaller {
    /// A user as written to the records.
    public struct Account: Equatable {
        public var name: String
        public var uid: UInt32
        public var gid: UInt32
        public var displayName: String
        public var home: String
        public var shell: String
    }

    static let xdgFolders = [
        "Desktop", "Documents", "Downloads", "Music", "Pictures", "Public", "Templates", "Videos",
        ".config", ".local", ".local/share", ".local/share/Trash", ".local/share/Trash/info",
    ]
    static let userDirs = [
        ("DESKTOP", "Desktop"), ("DOCUMENTS", "Documents"), ("DOWNLOAD", "Downloads"), ("MUSIC", "Music"),
        ("PICTURES", "Pictures"), ("PUBLICSHARE", "Public"), ("TEMPLATES", "Templates"), ("VIDEOS", "Videos"),
    ]

    /// The accounts and group records with ids assigned by upstream's counters.
    public static func accounts(_ configuration: Configuration) -> (users: [Account], groups: [(name: String, gid: UInt32, members: [String])]) {
        var nextUID: UInt32 = 1000, nextGID: UInt32 = 1000
        var users: [Account] = []
        for name in configuration.users.keys.sorted() {
            let user = configuration.users[name]!
            let uid = user.uid ?? nextUID
            if uid >= nextUID { nextUID = uid &+ 1 }
            let gid = user.gid ?? nextGID
            if gid >= nextGID { nextGID = gid &+ 1 }
            users.append(Account(
                name: name, uid: uid, gid: gid, displayName: user.name ?? name,
                home: user.home ?? "/home/\(name)", shell: user.shell ?? "/bin/ion"))
        }
        var groups: [(name: String, gid: UInt32, members: [String])] = users.map { ($0.name, $0.gid, [$0.name]) }
        for name in configuration.groups.keys.sorted() {
            let group = configuration.groups[name]!
            let gid = group.gid ?? nextGID
            if gid >= nextGID { nextGID = gid &+ 1 }
            groups.append((name, gid, group.members))
        }
        return (users, groups)
    }

    /// Checks that names and fields cannot break the `;`/`,`/newline-separated records.
    static func checkField(_ value: String, _ what: String, forbidding: String = ";\n\0") throws(InstallerError) {
        if value.contains(where: { forbidding.contains($0) }) {
            throw .configuration(file: "configuration", "\(what) \"\(value)\" holds a character not allowed in /etc/passwd records")
        }
    }

    /// Applies users and groups to `tree`. `password(name)` gives each user's password (from the
    /// configuration or a prompt); `saltNumber(name)` the salt.
    public static func apply(
        _ configuration: Configuration, to tree: StagedTree,
        password: (String) throws(InstallerError) -> String, saltNumber: (String) -> UInt64
    ) throws(InstallerError) {
        let (users, groups) = accounts(configuration)
        var passwd = "", shadow = "", group = ""
        for account in users {
            try checkField(account.name, "user name", forbidding: ";,\n\0:/")
            try checkField(account.displayName, "display name")
            try checkField(account.home, "home")
            try checkField(account.shell, "shell")
            let home = try tree.makeDirectory(account.home, permissions: 0o700, uid: account.uid, gid: account.gid)
            home.permissions = 0o700
            StagedTree.chown(home, uid: account.uid, gid: account.gid, recursive: true)
            if account.uid >= 1000 {
                for folder in xdgFolders {
                    let node = try tree.makeDirectory(account.home + "/" + folder, permissions: 0o700, uid: account.uid, gid: account.gid)
                    node.permissions = 0o700
                    StagedTree.chown(node, uid: account.uid, gid: account.gid, recursive: false)
                }
                var dirs = "# This file is written by redox-installer; see xdg-user-dirs-update(1).\n"
                for (key, folder) in userDirs { dirs += "XDG_\(key)_DIR=\"$HOME/\(folder)\"\n" }
                try tree.writeFile(account.home + "/.config/user-dirs.dirs", content: .bytes(Array(dirs.utf8)),
                                   permissions: 0o600, uid: account.uid, gid: account.gid).permissions = 0o600
                if let skel = tree.node(at: "etc/skel"), skel.kind == .directory {
                    try copySkeleton(skel, to: account.home, tree: tree, uid: account.uid, gid: account.gid)
                }
            }
            let hash = try PasswordHasher.hash(try password(account.name), saltNumber: saltNumber(account.name))
            passwd += "\(account.name);\(account.uid);\(account.gid);\(account.displayName);\(account.home);\(account.shell)\n"
            shadow += "\(account.name);\(hash)\n"
        }
        for record in groups {
            try checkField(record.name, "group name", forbidding: ";,\n\0:/")
            for member in record.members { try checkField(member, "group member", forbidding: ";,\n\0") }
            group += "\(record.name);x;\(record.gid);\(record.members.joined(separator: ","))\n"
        }
        if !passwd.isEmpty { try tree.writeFile("etc/passwd", content: .bytes(Array(passwd.utf8)), permissions: 0o644) }
        if !shadow.isEmpty {
            let node = try tree.writeFile("etc/shadow", content: .bytes(Array(shadow.utf8)), permissions: 0o600)
            node.permissions = 0o600
            StagedTree.chown(node, uid: 0, gid: 0, recursive: false)
        }
        if !group.isEmpty {
            let node = try tree.writeFile("etc/group", content: .bytes(Array(group.utf8)), permissions: 0o600)
            node.permissions = 0o600
            StagedTree.chown(node, uid: 0, gid: 0, recursive: false)
        }
    }

    /// Copies `/etc/skel` into a home: directories 0700, files 0600, symlinks skipped.
    static func copySkeleton(_ skel: StagedTree.Node, to home: String, tree: StagedTree, uid: UInt32, gid: UInt32) throws(InstallerError) {
        for name in skel.children.keys.sorted() {
            let child = skel.children[name]!
            let path = home + "/" + name
            switch child.kind {
            case .directory:
                let made = try tree.makeDirectory(path, permissions: 0o700, uid: uid, gid: gid)
                made.permissions = 0o700
                StagedTree.chown(made, uid: uid, gid: gid, recursive: false)
                try copySkeleton(child, to: path, tree: tree, uid: uid, gid: gid)
            case .file:
                let node = try tree.writeFile(path, content: child.content, permissions: 0o600, uid: uid, gid: gid, followLink: false)
                node.permissions = 0o600
                StagedTree.chown(node, uid: uid, gid: gid, recursive: false)
            case .symlink:
                continue
            }
        }
    }
}
