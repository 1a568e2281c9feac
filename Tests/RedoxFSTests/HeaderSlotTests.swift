@testable import RedoxFS
@testable import RedoxFSEngine
import Testing

/// `FileSystem.headerSlot` names the ring slot of the engine's current header after commits, not
/// only the one it was opened from.
@Suite struct HeaderSlotTests {
    static let options = FormatOptions(uuid: [UInt8](repeating: 3, count: 16), time: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))

    static func attributes() -> NodeAttributes {
        let time = Timestamp(seconds: 1_700_000_050, nanoseconds: 0)
        return NodeAttributes(mode: NodeKind.file.rawValue | 0o644, uid: 0, gid: 0, changeTime: time, modificationTime: time, accessTime: time)
    }

    @Test(arguments: [false, true]) func theSlotFollowsEachCommit(overlapping: Bool) throws {
        let base = MemoryDevice(blockCount: 2048)
        _ = try FileSystem.format(device: base, options: Self.options)
        let device = MemoryDevice(bytes: base.bytes)
        let fs = try FileSystem(device: device, writable: true)
        fs.overlapsCommits = overlapping
        let opened = fs.headerSlot
        #expect(opened == fs.header.generation % RedoxFS.headerRing)
        for index in 0..<3 {
            _ = try fs.create(Array("f\(index)".utf8), in: RedoxFS.rootNodeID, attributes: Self.attributes(), content: [UInt8(index)])
            try fs.commit()
            #expect(fs.headerSlot == fs.header.generation % RedoxFS.headerRing)
        }
        #expect(fs.headerSlot != opened)
        let generations = try fs.ringGenerations()
        #expect(generations.first?.header.generation == (overlapping ? fs.header.generation - 1 : fs.header.generation))
        try fs.unmount()
        let reopened = try FileSystem(device: MemoryDevice(bytes: device.bytes))
        #expect(reopened.headerSlot == reopened.header.generation % RedoxFS.headerRing)
        #expect(reopened.headerSlot == fs.headerSlot)
    }
}
