import Foundation
import Testing
@testable import Installer

/// Partition offsets, GPT bytes and our FAT writer, checked against Debian's tools.
@Suite struct DiskLayoutTests {
    @Test func upstreamOffsets() {
        let layout = DiskLayout(diskBytes: 512 << 20)
        #expect(layout.biosFirstLBA == 34 && layout.biosLastLBA == 2047)
        #expect(layout.efiFirstLBA == 2048 && layout.efiLastLBA == 4095)
        #expect(layout.redoxFirstLBA == 4096 && layout.redoxLastLBA == 1_046_527)
        #expect(layout.redoxOffset == 0x200000)
        let wide = DiskLayout(diskBytes: 100 << 20, efiMiB: 8)
        #expect(wide.redoxOffset == 9 << 20 && wide.redoxLastLBA == 99 * 2048 - 1)
    }

    @Test func gptHeadersAndProtectiveMBR() {
        let layout = DiskLayout(diskBytes: 64 << 20)
        let gpt = layout.gpt(diskGUID: GUID("01234567-89AB-CDEF-0123-456789ABCDEF")!, uniqueGUIDs: [.efiSystem, .linuxData, .biosBoot])
        let mbr = gpt.protectiveMBR(keeping: [UInt8](repeating: 0x90, count: 512))
        #expect(mbr[0] == 0x90 && mbr[439] == 0x90)            // boot code kept
        #expect(mbr[450] == 0xEE && mbr[510] == 0x55 && mbr[511] == 0xAA)
        #expect(Array(mbr[454..<458]) == [1, 0, 0, 0])
        let (primary, backup, offset) = gpt.tables()
        #expect(Array(primary[0..<8]) == Array("EFI PART".utf8))
        #expect(primary.count == 33 * 512 && backup.count == 33 * 512)
        #expect(offset == (64 << 20) - 33 * 512)
        #expect(GUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")!.description == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
        #expect(CRC32.checksum(Array("123456789".utf8)[...]) == 0xCBF4_3926)
    }

    @Test(arguments: [
        (UInt64(1) << 20, FATFormatter.Variant.fat12), (3 << 20, .fat12), (4 << 20, .fat16), (32 << 20, .fat16),
        (200 << 20, .fat16), (520 << 20, .fat32),
    ])
    func fatVariantFromSizeAndFsckAccepts(bytes: UInt64, variant: FATFormatter.Variant) throws {
        let fat = try FATFormatter(bytes: bytes, volumeID: 0x1234_5678, unixTime: 1_700_000_000)
        #expect(fat.variant == variant)
        #expect(FATFormatter.variant(forClusters: fat.clusterCount) == variant)
        let loader = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writes = try fat.writes([
            .init(path: ["EFI"], contents: nil), .init(path: ["EFI", "BOOT"], contents: nil),
            .init(path: ["EFI", "BOOT", "BOOTX64.EFI"], contents: loader),
            .init(path: ["EFI", "BOOT", "EMPTY.TXT"], contents: []),
            .init(path: ["STARTUP.NSH"], contents: Array("fs0:\\EFI\\BOOT\\BOOTX64.EFI\n".utf8)),
        ])
        let folder = try Scratch.folder("fat")
        let image = folder + "/esp.img"
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try handle.truncate(atOffset: bytes)
        for write in writes {
            try handle.seek(toOffset: write.offset)
            handle.write(Data(write.bytes))
        }
        try handle.close()
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/fsck.fat") else { return }
        let fsck = try Scratch.runHost("/usr/sbin/fsck.fat", ["-n", image])
        #expect(fsck.status == 0, "\(fsck.out)\(fsck.err)")
        #expect(!fsck.out.contains("Warning") && !fsck.out.contains("differ"), "\(fsck.out)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/mtype") {
            let copy = folder + "/copy.efi"
            let mcopy = try Scratch.runHost("/usr/bin/mcopy", ["-i", image, "::/EFI/BOOT/BOOTX64.EFI", copy])
            #expect(mcopy.status == 0, "\(mcopy.err)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data(loader))
        }
    }

    @Test func fatRefusesLongNames() throws {
        let fat = try FATFormatter(bytes: 1 << 20, volumeID: 1, unixTime: 0)
        #expect(throws: InstallerError.self) { _ = try fat.writes([.init(path: ["BOOTRISCV64.EFI"], contents: [])]) }
    }
}

