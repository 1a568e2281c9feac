extension Configuration {
    /// What the command line adds before installing (installer.md §2): `/filesystem.toml` holding
    /// `original` (the merged configuration before command-line overrides; passwords left out),
    /// and `VARIANT`/`BUILD_ID` lines appended to `/usr/lib/os-release`.
    public mutating func addImageRecords(original: Configuration, configName: String?, buildID: String?) {
        var record = FileEntry(path: "filesystem.toml", data: ConfigurationWriter.text(original, redactingSecrets: true))
        record.mode = nil
        files.append(record)
        var lines = ""
        if let configName, !configName.isEmpty { lines += "VARIANT=\(Self.quoted(configName))\n" }
        if let buildID, !buildID.isEmpty { lines += "BUILD_ID=\(Self.quoted(buildID))\n" }
        if !lines.isEmpty {
            var osRelease = FileEntry(path: "/usr/lib/os-release", data: lines)
            osRelease.append = true
            files.append(osRelease)
        }
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
