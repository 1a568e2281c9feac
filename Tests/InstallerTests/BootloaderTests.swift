import Foundation
import Testing
@testable import Installer

/// The bootloader files: the UEFI loader onto the ESP (live variant with --live, a copy with
/// --write-bootloader) and a BIOS blob at byte 0 with the GPT around it.
@Suite(.serialized) struct BootloaderTests {
    @Test func loadersGoWhereUpstreamPutsThem() throws {
        let folder = try Scratch.folder("loader")
        try Data("EFI-NORMAL".utf8).write(to: URL(fileURLWithPath: folder + "/normal.efi"))
        try Data("EFI-LIVE".utf8).write(to: URL(fileURLWithPath: folder + "/live.efi"))
        // A BIOS blob as upstream's: boot code in sector 0, sectors 1-33 zero, stage 2 from sector 34.
        var bios = [UInt8](repeating: 0, count: 40 * 512)
        for i in 0..<440 { bios[i] = 0xB0 }
        for i in 34 * 512..<40 * 512 { bios[i] = 0x5A }
        try Data(bios).write(to: URL(fileURLWithPath: folder + "/bios.bin"))
        let config = try Scratch.write("""
            [general]
            filesystem_size = 40
            [[files]]
            path = "/usr/lib/boot/bootloader.efi"
            data = ""
            source = "normal.efi"
            [[files]]
            path = "/usr/lib/boot/bootloader-live.efi"
            data = ""
            source = "live.efi"
            [[files]]
            path = "/usr/lib/boot/bootloader.bios"
            data = ""
            source = "bios.bin"
            """, folder, "boot.toml")

        let live = try Scratch.run("redox-installer", ["-c", config, "--live", "--write-bootloader", folder + "/copy.efi", folder + "/live.img"])
        #expect(live.status == 0, "\(live.err)")
        #expect(try String(contentsOfFile: folder + "/copy.efi", encoding: .utf8) == "EFI-LIVE")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/mtype") {
            let esp = try Scratch.runHost("/usr/bin/mtype", ["-i", folder + "/live.img@@1M", "::/EFI/BOOT/BOOTX64.EFI"])
            #expect(esp.out == "EFI-LIVE", "\(esp.err)")
        }

        let plain = try Scratch.run("redox-installer", ["-c", config, folder + "/plain.img"])
        #expect(plain.status == 0, "\(plain.err)")
        let disk = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/plain.img")).prefix(40 * 512))
        #expect(Array(disk[0..<440]) == Array(bios[0..<440]))           // boot code kept
        #expect(disk[450] == 0xEE && disk[510] == 0x55 && disk[511] == 0xAA)
        #expect(Array(disk[512..<520]) == Array("EFI PART".utf8))
        #expect(Array(disk[34 * 512..<40 * 512]) == Array(bios[34 * 512..<40 * 512]))   // stage 2 in partition 1
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/sgdisk") {
            let check = try Scratch.runHost("/usr/sbin/sgdisk", ["-v", folder + "/plain.img"])
            #expect(check.out.contains("No problems found"), "\(check.out)")
        }
    }
}
