/// Reading pkgar archives into the staged tree. The archive format itself belongs to the Pkgar
/// library (cookbook issue); until it is merged this reports that packages cannot be installed.
enum PackageArchives {
    static func trustedKey(_ path: String) throws(InstallerError) -> [UInt8] {
        throw .other("installing packages needs the Pkgar library, which is not merged yet (\(path))")
    }

    static func extract(archive: String, package: String, publicKey: [UInt8], into tree: StagedTree) throws(InstallerError) -> [UInt8] {
        throw .package(name: package, "the Pkgar library is not merged yet")
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
