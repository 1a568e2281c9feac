import Foundation
import RedoxFS
@testable import RedoxFSCheck
import Testing

@Suite struct ZDebugTests {
    @Test func debugCase() throws {
        guard let name = ProcessInfo.processInfo.environment["FSCK_DEBUG_CASE"] else { return }
        if name == "layout" {
            for image in [try CheckFixtures.image("ar"), try GeneratedImage.image().path, try CheckFixtures.image("fuse-modified")] {
                let fs = try FileSystem(path: image, readOnly: true)
                let usage = try fs.blockUsage()
                var lines: [String] = []
                for block in usage.users.keys.sorted().suffix(40) { lines.append("\(block):\(usage.users[block]!)") }
                print("LAYOUT", image, lines.joined(separator: " "))
                let maxMeta = usage.users.filter { $0.value.contains { if case .treeList = $0 { return true }; if case .node(1) = $0 { return true }; if case .content(1) = $0 { return true }; return false } }.keys.max()
                print("MAXMETA", maxMeta ?? 0, "MAX", usage.users.keys.max() ?? 0)
            }
            return
        }
        guard let damage = DamageCase.all.first(where: { $0.name == name }) else { return }
        let path = damage.image == "generated" ? try GeneratedImage.copy().path : try CheckFixtures.copy(damage.image)
        let manifest = ReferenceManifest(text: damage.image == "generated" ? try GeneratedImage.image().manifest : try CheckFixtures.manifest(damage.image))
        var surgeon = try ImageSurgeon(path: path, password: damage.password)
        _ = try damage.damage(&surgeon, manifest)
        surgeon.close()
        print("IMAGE", path)
    }
}
