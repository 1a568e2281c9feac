// libFuzzer target for the installer's configuration parser (scripts/fuzz.sh InstallerConfig SECONDS).
//
// Input: arbitrary bytes taken as the text of a configuration file. Parsing must either succeed
// or throw an InstallerError (never trap); what parses must write back (ConfigurationWriter) to
// text that parses to the same configuration, and the users' ids must be assignable.

import Installer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInstallerConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let parsed = try? ConfigurationParser.parse(text, file: "fuzz.toml") else { return 0 }
    let written = ConfigurationWriter.text(parsed.configuration)
    guard let again = try? ConfigurationParser.parse(written, file: "written.toml") else {
        preconditionFailure("a written configuration must parse:\n\(written)")
    }
    precondition(again.configuration == parsed.configuration, "configuration does not round-trip")
    _ = UserInstaller.accounts(parsed.configuration)
    _ = parsed.configuration.installedPackageNames
    return 0
}
