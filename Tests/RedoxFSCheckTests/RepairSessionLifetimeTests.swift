#if canImport(Glibc)
import Glibc
#endif
import RedoxFS
@testable import RedoxFSCheck
import Testing

/// What `Repairer.run` relies on when an attempt fails for want of room and it starts again with a
/// larger reserve: the failed attempt's session, dropped, is freed with everything it held (its
/// caches, its lock), and it leaves the device the attempts share open (closing a session would
/// close that device under the next attempt and the caller).
@Suite struct RepairSessionLifetimeTests {
    @Test func aFailedAttemptIsFreedAndLeavesTheDeviceOpen() throws {
        let path = try CheckFixtures.copy("ar")
        let device = try FileDevice.open(path: path, readOnly: false)
        defer { device.close() }
        let plain = try FileSystem(device: device)
        let listing = try plain.entries(of: RedoxFS.rootNodeID).map(\.name)

        weak var abandoned: FileSystem?
        do {
            // No writable block at all: both the fix and the commit run out of room, as an
            // attempt whose reserve was too small does.
            let session = FileSystem.openForRepair(
                device: device, header: plain.header, startBlock: plain.startBlock, keys: nil, freeExtents: [],
                writtenAfter: plain.header.generation, commitReserve: 0)
            abandoned = session
            var fixError: FileSystemError?
            do {
                _ = try session.create(Array("lost+found".utf8), in: RedoxFS.rootNodeID, mode: 0x4000 | 0o700, uid: 0, gid: 0)
            } catch {
                fixError = error
            }
            #expect(fixError?.errno == ENOSPC, "\(String(describing: fixError))")
            var commitError: FileSystemError?
            do { try session.repairCommit(free: [], releasing: []) } catch { commitError = error }
            #expect(commitError?.errno == ENOSPC, "\(String(describing: commitError))")
        }
        #expect(abandoned == nil, "the failed attempt's session is still alive")

        let next = try FileSystem(device: device)
        #expect(try next.entries(of: RedoxFS.rootNodeID).map(\.name) == listing)
        #expect(next.header.generation == plain.header.generation)
    }
}
