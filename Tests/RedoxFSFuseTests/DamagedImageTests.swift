import Foundation
import XCTest

/// A damaged image never brings the daemon down: requests that meet a bad block fail with EIO,
/// everything else keeps working, and the daemon still unmounts when asked (or refuses to mount
/// with a message when the damage is in what mounting needs).
final class DamagedImageTests: MountTestCase {
    func testDamagedImagesAnswerEIOAndKeepServing() throws {
        let folder = try self.folder
        var served = 0
        for seed in 1...6 {
            let image = try TestImages.fixture("ar", into: folder)
            try CommandRunner.python("corrupt.py", [image, String(seed), "400", "257", "5000"])
            let mounted: MountedImage
            do {
                mounted = try mount(image, at: "mnt-\(seed)", arguments: seed % 2 == 0 ? ["-o", "ro"] : [])
            } catch let failure as MountedImage.Failure {
                // Refusing to mount is fine, crashing is not.
                XCTAssertTrue(failure.description.contains("status 1"), failure.description)
                XCTAssertFalse(failure.description.contains("Fatal error"), failure.description)
                continue
            }
            served += 1
            // Absolute paths only: if the mount were gone, nothing may land in the working directory.
            let walk = """
                m="$1"
                find "$m/" -type f -exec cat {} + > /dev/null 2>&1
                ls -laR "$m/" > /dev/null 2>&1
                rm -rf "$m/many" "$m/nested" 2> /dev/null
                echo new > "$m/newfile" 2> /dev/null
                cp -r "$m/names" "$m/names-copy" 2> /dev/null
                exit 0
                """
            try CommandRunner.check(["/bin/sh", "-c", walk, "walk", mounted.mountpoint], timeout: 300)
            XCTAssertTrue(mounted.process.isRunning, "the daemon died on a damaged image (seed \(seed)):\n\(mounted.log)")
            XCTAssertFalse(mounted.log.contains("Fatal error"), mounted.log)
            do {
                try mounted.unmount()
            } catch let failure as MountedImage.Failure {
                // A final commit may fail on damaged metadata; the daemon must still exit normally.
                XCTAssertEqual(mounted.process.terminationReason, .exit, failure.description)
            }
        }
        XCTAssertGreaterThan(served, 0, "no damaged image could be mounted")
    }
}
