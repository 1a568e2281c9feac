import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Installer
import RedoxFSTestSupport
import Testing

/// A new image made for an installation is removed by a failure after it was opened (a package
/// entry that cannot be read again while the image is written, a size it cannot get), but only
/// while its path still names that file; an existing image is never removed.
@Suite struct NewImageRemovalTests {
    /// A package source whose one entry fails when the image is written, after calling `meanwhile`.
    struct FailingSource: PackageSource {
        var meanwhile: @Sendable () -> Void = {}

        func install(_ names: [String], into tree: StagedTree, log: (String) -> Void) throws(InstallerError) {
            let meanwhile = self.meanwhile
            try tree.writeFile("/usr/lib/failing.bin", content: .external(ExternalContent(size: 4096) { _ throws(InstallerError) in
                meanwhile()
                throw .package(name: "failing", "usr/lib/failing.bin: the archive changed while installing")
            }))
        }
    }

    /// Installs onto `output` with `source`; the error's text.
    static func failedInstall(_ output: String, _ source: FailingSource) -> String? {
        var configuration = Configuration()
        configuration.general.filesystemSize = 40
        configuration.packages = ["failing": .table(version: nil, git: nil, path: nil)]
        var options = InstallOptions(configuration: configuration, output: output)
        options.packageSource = source
        options.showProgress = false
        let error = #expect(throws: InstallerError.self) { try Installer(options: options).install() }
        return error.map { "\($0)" }
    }

    @Test func aFailedInstallationRemovesItsNewImage() throws {
        let folder = try Scratch.folder("new-image-removed")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/new.img"
        #expect(Self.failedInstall(output, FailingSource()) == "package failing: usr/lib/failing.bin: the archive changed while installing")
        #expect(access(output, F_OK) != 0, "the new image was left behind")

        // An existing image stays (written as far as it went).
        #expect(FileManager.default.createFile(atPath: output, contents: Data(count: 40 << 20)))
        _ = Self.failedInstall(output, FailingSource())
        #expect(access(output, F_OK) == 0, "an existing image was removed")
    }

    /// The path names another file by the time the installation fails (the new image moved away,
    /// someone else's file put there): that file stays.
    @Test func anotherFileAtThePathIsNotRemoved() throws {
        let folder = try Scratch.folder("new-image-replaced")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/new.img", moved = folder + "/moved.img"
        let source = FailingSource {
            _ = rename(output, moved)
            _ = FileManager.default.createFile(atPath: output, contents: Data("someone else's".utf8))
        }
        _ = Self.failedInstall(output, source)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "someone else's")
    }

    /// A new output that cannot get its size (a file size limit: EFBIG, SIGXFSZ ignored) is
    /// removed, by the installer and by the --esp-image/--redoxfs-image assembly (which left it,
    /// empty, before); an existing output of the assembly stays.
    @Test func aResizeFailureLeavesNoNewOutput() throws {
        let folder = try Scratch.folder("resize-failed")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Scratch.write("[general]\nfilesystem_size = 40\n", folder, "config.toml")
        #expect(FileManager.default.createFile(atPath: folder + "/esp.img", contents: Data(repeating: 1, count: 4096)))
        #expect(FileManager.default.createFile(atPath: folder + "/volume.img", contents: Data(repeating: 2, count: 4096)))
        func limited(_ arguments: [String]) throws -> ToolRun {
            try ToolRun.run("/usr/bin/timeout", [
                "-k", "5", "120", "/bin/sh", "-c", #"trap '' XFSZ; ulimit -f 1024; exec "$@""#, "sh", Fixtures.tool("redox-installer"),
            ] + arguments)
        }
        let tooLarge = String(cString: strerror(EFBIG))
        let image = folder + "/new.img"
        let installed = try limited(["-c", config, "--no-progress", image])
        #expect(installed.exitStatus == 1 && installed.output.hasSuffix("redox-installer: \(image): resize failed: \(tooLarge)\n"), "\(installed.output)")
        #expect(access(image, F_OK) != 0, "the new image was left behind")

        let disk = folder + "/disk.img"
        let assembly = ["--esp-image", folder + "/esp.img", "--redoxfs-image", folder + "/volume.img", disk]
        let assembled = try limited(assembly)
        #expect(assembled.exitStatus == 1 && assembled.output == "redox-installer: \(disk): resize failed: \(tooLarge)\n", "\(assembled.output)")
        #expect(access(disk, F_OK) != 0, "the new output was left behind")
        #expect(FileManager.default.createFile(atPath: disk, contents: Data("old".utf8)))
        #expect(try limited(assembly).exitStatus == 1)
        #expect(access(disk, F_OK) == 0, "an existing output was removed")
    }
}
