import Foundation
import XCTest

/// Every upstream fixture image, mounted, shows exactly what its manifest lists: paths, types,
/// modes, owners, sizes, link counts, node ids as inode numbers, blocks, times, contents and
/// symlink targets. Encrypted images take the password on standard input, as a user types it.
final class FixtureMountTests: MountTestCase {
    /// The manifest lines with the columns a mount cannot show (inline, htree_levels) blanked.
    static func visibleLines(_ manifest: String) -> [String] {
        manifest.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !$0.hasPrefix("#") }
            .map { line in
                var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                if fields.count >= 11 {
                    fields[9] = "?"
                    fields[10] = "?"
                }
                return fields.joined(separator: "\t")
            }
    }

    func assertMountMatchesManifest(_ name: String, encrypted: Bool, arguments: [String]) throws {
        let folder = try self.folder
        let image = try TestImages.fixture(name, into: folder)
        let mounted = try mount(image, at: "mnt-\(name)", arguments: arguments,
                                password: encrypted ? TestImages.fixturePassword : nil)
        let listing = try CommandRunner.python("manifest.py", [mounted.mountpoint])
        try mounted.unmount()
        let expected = Self.visibleLines(try TestImages.manifest(name))
        let actual = Self.visibleLines(listing)
        XCTAssertEqual(actual.count, expected.count, "\(name): number of paths")
        for (got, want) in zip(actual, expected) where got != want {
            XCTFail("\(name):\n  mount:    \(got)\n  manifest: \(want)")
            break
        }
        try TestImages.assertClean(image, password: encrypted ? TestImages.fixturePassword : nil, allowWarnings: true)
        try FileManager.default.removeItem(atPath: image)  // the scratch folder lives in memory
    }

    func testEveryFixtureReadOnly() throws {
        for fixture in TestImages.fixtures {
            try assertMountMatchesManifest(fixture.name, encrypted: fixture.encrypted, arguments: ["-o", "ro"])
        }
    }

    /// A read-write mount runs upstream's cleanup (a new generation) but changes nothing visible.
    func testEveryFixtureReadWrite() throws {
        for fixture in TestImages.fixtures {
            try assertMountMatchesManifest(fixture.name, encrypted: fixture.encrypted, arguments: [])
        }
    }
}
