import TOMLKit

/// Writes a configuration back as TOML in upstream's shape (`--output-config`, `/filesystem.toml`):
/// `[general]` with the keys that are set, packages as sub-tables or rule strings, `[[files]]`
/// with every field (`append` only when true), users and groups.
public enum ConfigurationWriter {
    /// The TOML text of `configuration`; with `redactingSecrets`, user passwords and the disk
    /// password are left out (what goes into the image must not hold them in clear).
    public static func text(_ configuration: Configuration, redactingSecrets: Bool = false) -> String {
        let root = TOMLTable()
        let general = TOMLTable()
        let g = configuration.general
        if let v = g.cookbook { general["cookbook"] = v }
        if let v = g.prompt { general["prompt"] = v }
        if let v = g.filesystemSize { general["filesystem_size"] = Int(v) }
        if let v = g.efiPartitionSize { general["efi_partition_size"] = Int(v) }
        if let v = g.skipPartitions { general["skip_partitions"] = v }
        if let v = g.encryptDisk, !redactingSecrets { general["encrypt_disk"] = v }
        if let v = g.liveDisk { general["live_disk"] = v }
        if let v = g.writeBootloader { general["write_bootloader"] = v }
        if let v = g.noMount { general["no_mount"] = v }
        root["general"] = general

        let packages = TOMLTable()
        for name in configuration.packages.keys.sorted() {
            switch configuration.packages[name]! {
            case .rule(let rule): packages[name] = rule
            case .table(let version, let git, let path):
                let table = TOMLTable()
                if let version { table["version"] = version }
                if let git { table["git"] = git }
                if let path { table["path"] = path }
                packages[name] = table
            }
        }
        root["packages"] = packages

        if !configuration.files.isEmpty {
            let files = TOMLArray()
            for entry in configuration.files {
                let table = TOMLTable()
                table["path"] = entry.path
                table["data"] = entry.data
                table["symlink"] = entry.symlink
                table["directory"] = entry.directory
                if let mode = entry.mode { table["mode"] = TOMLInt(Int(mode), options: .formatAsOctal) }
                if let uid = entry.uid { table["uid"] = Int(uid) }
                if let gid = entry.gid { table["gid"] = Int(gid) }
                table["recursive_chown"] = entry.recursiveChown
                table["postinstall"] = entry.postinstall
                if entry.append { table["append"] = true }
                if let source = entry.source { table["source"] = source }
                files.append(table)
            }
            root["files"] = files
        }

        let users = TOMLTable()
        for name in configuration.users.keys.sorted() {
            let user = configuration.users[name]!
            let table = TOMLTable()
            if let v = user.password, !redactingSecrets { table["password"] = v }
            if let v = user.uid { table["uid"] = Int(v) }
            if let v = user.gid { table["gid"] = Int(v) }
            if let v = user.name { table["name"] = v }
            if let v = user.home { table["home"] = v }
            if let v = user.shell { table["shell"] = v }
            users[name] = table
        }
        root["users"] = users

        let groups = TOMLTable()
        for name in configuration.groups.keys.sorted() {
            let group = configuration.groups[name]!
            let table = TOMLTable()
            if let v = group.gid { table["gid"] = Int(v) }
            table["members"] = TOMLArray(group.members)
            groups[name] = table
        }
        root["groups"] = groups
        // No multi-line strings: toml++ writes a value starting with a newline as a multi-line
        // string whose first newline a reader then drops (found by the fuzz target).
        return root.convert(to: .toml, options: [
            .allowLiteralStrings, .allowUnicodeStrings, .allowOctalIntegers, .allowHexadecimalIntegers, .indentations,
        ]) + "\n"
    }
}
