import Glibc
import RedoxFS
@testable import RedoxFSFuse
import XCTest

/// The mount's commit timer, without a mount: what it commits.
final class CommitTimerTests: XCTestCase {
    /// An automatic commit that leaves its header pending (`-o overlap_commits`) as the last
    /// change is made durable by the timer, though nothing else changed after it.
    func testTheTimerWritesAHeaderAnAutomaticCommitLeftPending() throws {
        let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
        let base = MemoryDevice(blockCount: 2048)
        _ = try FileSystem.format(device: base, options: FormatOptions(uuid: [UInt8](repeating: 3, count: 16), time: time))
        let device = RecordingDevice(recordingOver: MemoryDevice(bytes: base.bytes))
        let fileSystem = try FileSystem(device: device, writable: true)
        fileSystem.overlapsAutomaticCommits = true
        fileSystem.commitThresholdBytes = 1
        let attributes = NodeAttributes(
            mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0, changeTime: time, modificationTime: time, accessTime: time)
        _ = try fileSystem.create(Array("a".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [1, 2, 3])
        XCTAssertTrue(fileSystem.hasPendingHeader, "the create's automatic commit should leave its header")
        XCTAssertFalse(fileSystem.hasUncommittedChanges)
        let generation = fileSystem.header.generation
        XCTAssertLessThan(try FileSystem(device: MemoryDevice(bytes: device.memory.bytes)).header.generation, generation)

        let timer = CommitTimer(fileSystem: fileSystem, interval: 0.05, log: DaemonLog())
        timer.start()
        // Polls, bounded by their count (the timer fires every 50 ms; 400 polls of 25 ms).
        var polls = 0
        while fileSystem.hasPendingHeader && polls < 400 {
            usleep(25_000)
            polls += 1
        }
        timer.stop()
        XCTAssertFalse(fileSystem.hasPendingHeader, "the timer left the header pending")
        XCTAssertEqual(try FileSystem(device: MemoryDevice(bytes: device.memory.bytes)).header.generation, generation)
        try fileSystem.unmount()
    }
}
