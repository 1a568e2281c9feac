import RedoxFS
import RedoxFSStress
import Testing

/// A few crash workloads in the test run; `redoxfs-crashtest` (release build, run by the test
/// command) covers hundreds.
@Suite struct CrashSafetyTests {
    @Test(arguments: [11, 12, 15] as [UInt64])
    func everyCutPointRecovers(seed: UInt64) throws {
        let result = try CrashCheck().run(seed: seed)
        #expect(result.cutPoints > 20)
        #expect(result.imagesChecked >= result.cutPoints)
    }

    @Test func recordingDeviceRebuildsPowerCuts() throws {
        var device = RecordingDevice(recordingOver: MemoryDevice(blockCount: 4))
        try [UInt8](repeating: 1, count: 4096).withUnsafeBytes { try device.writeBlocks(at: 0, from: $0) }
        try device.flush()
        try [UInt8](repeating: 2, count: 4096).withUnsafeBytes { try device.writeBlocks(at: 1, from: $0) }
        try [UInt8](repeating: 3, count: 4096).withUnsafeBytes { try device.writeBlocks(at: 0, from: $0) }
        let none = device.crashImage(cut: 4, keep: { _ in false })
        #expect(none[0] == 1 && none[4096] == 0)
        let second = device.crashImage(cut: 4, keep: { $0 == 1 })
        #expect(second[0] == 3 && second[4096] == 0)
        let beforeFlush = device.crashImage(cut: 1, keep: { _ in false })
        #expect(beforeFlush[0] == 0)
    }
}
