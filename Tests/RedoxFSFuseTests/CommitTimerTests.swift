import Dispatch
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

        let passes = DispatchSemaphore(value: 0)
        let timer = CommitTimer(fileSystem: fileSystem, interval: 0.05, log: DaemonLog(), beforeCommit: { passes.signal() })
        timer.start()
        Self.waitForSecondPass(passes)
        timer.stop()
        XCTAssertFalse(fileSystem.hasPendingHeader, "the timer left the header pending")
        XCTAssertEqual(try FileSystem(device: MemoryDevice(bytes: device.memory.bytes)).header.generation, generation)
        try fileSystem.unmount()
    }

    /// Writes the mount still holds (`WriteCoalescer`) are not part of the engine's automatic
    /// commits, and are not left behind by them: the timer hands them over before it looks for
    /// changes, so they are committed within one interval even when an automatic commit has just
    /// left the engine with nothing uncommitted.
    func testTheTimerCommitsHeldWritesAfterAnAutomaticCommit() throws {
        let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
        let base = MemoryDevice(blockCount: 4096)
        _ = try FileSystem.format(device: base, options: FormatOptions(uuid: [UInt8](repeating: 4, count: 16), time: time))
        let device = RecordingDevice(recordingOver: MemoryDevice(bytes: base.bytes))
        let fileSystem = try FileSystem(device: device, writable: true)
        let attributes = NodeAttributes(
            mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0, changeTime: time, modificationTime: time, accessTime: time)
        let file = try fileSystem.create(Array("held".utf8), in: RedoxFS.rootNodeID, attributes: attributes,
                                         content: [UInt8](repeating: 1, count: 3 << 17))
        try fileSystem.commit()

        // A page written back into record 1, answered and held; then another change crosses the
        // commit threshold, and the engine commits on its own without the held page.
        let coalescer = WriteCoalescer()
        let page = [UInt8](repeating: 9, count: 4096)
        XCTAssertTrue(page.withUnsafeBytes { coalescer.add(UInt64(file), record: 1, at: (1 << 17) + 8192, $0) }.isEmpty)
        fileSystem.commitThresholdBytes = 1
        _ = try fileSystem.create(Array("later".utf8), in: RedoxFS.rootNodeID, attributes: attributes, content: [2, 3])
        XCTAssertFalse(fileSystem.hasUncommittedChanges, "the create should have committed automatically")
        fileSystem.commitThresholdBytes = 32 << 20  // the page's own write then waits for the timer
        XCTAssertTrue(coalescer.holds(UInt64(file)))
        func committedPage() throws -> [UInt8] {
            let committed = try FileSystem(device: MemoryDevice(bytes: device.memory.bytes))
            return try committed.read(file, at: (1 << 17) + 8192, count: 4096)
        }
        XCTAssertNotEqual(try committedPage(), page, "the automatic commit holds the held page")

        // The engine is safe to share between threads (its own lock), as the mount shares it.
        nonisolated(unsafe) let engine = fileSystem
        let passes = DispatchSemaphore(value: 0)
        let timer = CommitTimer(
            fileSystem: fileSystem, interval: 0.05, log: DaemonLog(),
            beforeCommit: {
                coalescer.settleAll(with: CommitTimerTests.former(writingInto: engine))
                passes.signal()
            })
        timer.start()
        Self.waitForSecondPass(passes)
        timer.stop()
        XCTAssertTrue(coalescer.isIdle, "the timer left the page held")
        XCTAssertEqual(try committedPage(), page, "the timer's commit holds the page")
        XCTAssertNil(coalescer.takeError(UInt64(file)))
        try fileSystem.unmount()
    }

    /// Waits until the timer's second pass begins (`passes` is signalled at the start of each),
    /// so its first pass, commit included, is done: bounded by the timer's passes, not by a time
    /// (on a loaded machine a pass may come late; the wait is only a hang guard).
    private static func waitForSecondPass(_ passes: DispatchSemaphore, file: StaticString = #filePath, line: UInt = #line) {
        for pass in 1...2 where passes.wait(timeout: .now() + 600) != .success {
            XCTFail("the timer's pass \(pass) did not come within ten minutes", file: file, line: line)
            return
        }
    }

    /// Forms a batch as the mount does, without its inode tags (the handle is the node id).
    private static func former(writingInto fileSystem: FileSystem) -> WriteCoalescer.Former {
        { batch in
            do throws(FileSystemError) {
                try fileSystem.write(UInt32(batch.inode), ranges: batch.ranges)
                return nil
            } catch {
                return error
            }
        }
    }
}
