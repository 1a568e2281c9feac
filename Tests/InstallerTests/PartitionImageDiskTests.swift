import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Installer

/// The --esp-image/--redoxfs-image mode: a disk assembled from ready partition images.
@Suite struct PartitionImageDiskTests {
    /// Deterministic, distinct bytes for an image.
    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 9) &+ Int(seed)) }
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// A little-endian integer of `disk` at `offset`.
    static func integer(_ disk: [UInt8], _ offset: Int, _ size: Int) -> UInt64 {
        (0..<size).reduce(0) { $0 | UInt64(disk[offset + $1]) << (8 * UInt64($1)) }
    }

    @Test(arguments: [
        // ESP bytes, RedoxFS bytes, RedoxFS offset expected, disk bytes expected
        (1 << 20, 3_000_000, 2 << 20, 6 << 20),
        (700_000, 16 << 20, 2 << 20, 19 << 20),
        ((2 << 20) + 5, 1 << 20, 4 << 20, 6 << 20),
    ])
    func assemblesInTheInstallersLayout(esp espBytes: Int, redox redoxBytes: Int, offset: Int, size: Int) throws {
        let folder = try Scratch.folder("assemble")
        let esp = Self.pattern(espBytes, seed: 7), volume = Self.pattern(redoxBytes, seed: 91)
        _ = FileManager.default.createFile(atPath: folder + "/esp.img", contents: Data(esp))
        _ = FileManager.default.createFile(atPath: folder + "/volume.img", contents: Data(volume))
        // An existing, larger output is replaced, not patched.
        _ = FileManager.default.createFile(atPath: folder + "/disk.img", contents: Data(repeating: 0xCC, count: 40 << 20))
        let assembly = try PartitionImageDisk(espImage: folder + "/esp.img", redoxFSImage: folder + "/volume.img")
        try assembly.write(to: folder + "/disk.img")
        let disk = try Self.bytes(folder + "/disk.img")

        #expect(disk.count == size)
        #expect(Array(disk[(1 << 20)..<(1 << 20) + espBytes]) == esp)
        #expect(Array(disk[offset..<offset + redoxBytes]) == volume)
        // Nothing before 1 MiB but the protective MBR entry, the signature and the primary GPT.
        #expect(disk[0..<446].allSatisfy { $0 == 0 })
        #expect(disk[450] == 0xEE && disk[510] == 0x55 && disk[511] == 0xAA)
        #expect(Array(disk[512..<520]) == Array("EFI PART".utf8))
        #expect(disk[(34 * 512)..<(1 << 20)].allSatisfy { $0 == 0 })
        // The entries: BIOS, EFI, REDOX with the installer's types and the expected extents.
        let entries = 1024
        let expected: [(GUID, UInt64, UInt64, String)] = [
            (.biosBoot, 34, 2047, "BIOS"),
            (.efiSystem, 2048, UInt64(offset / 512 - 1), "EFI"),
            (.linuxData, UInt64(offset / 512), UInt64(size / 512 - 2049), "REDOX"),
        ]
        for (index, (type, first, last, name)) in expected.enumerated() {
            let at = entries + 128 * index
            #expect(Array(disk[at..<at + 16]) == type.bytes)
            #expect(Self.integer(disk, at + 32, 8) == first && Self.integer(disk, at + 40, 8) == last)
            let units = (0..<name.utf16.count).map { UInt16(Self.integer(disk, at + 56 + 2 * $0, 2)) }
            #expect(String(decoding: units, as: UTF16.self) == name)
        }
        #expect(Array(disk[(size - 512)..<(size - 504)]) == Array("EFI PART".utf8))

        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sgdisk") else { return }
        let check = try Scratch.runHost("/usr/sbin/sgdisk", ["-v", folder + "/disk.img"])
        #expect(check.status == 0 && check.out.contains("No problems found"), "\(check.out)\(check.err)")
        let table = try Scratch.runHost("/usr/sbin/sgdisk", ["-p", folder + "/disk.img"])
        #expect(table.out.contains("EF02") && table.out.contains("EF00") && table.out.contains("8300"), "\(table.out)")
    }

    @Test func reproducibleWithASeed() throws {
        let folder = try Scratch.folder("assemble-seed")
        _ = FileManager.default.createFile(atPath: folder + "/esp.img", contents: Data(Self.pattern(4096, seed: 1)))
        _ = FileManager.default.createFile(atPath: folder + "/volume.img", contents: Data(Self.pattern(8192, seed: 2)))
        let assembly = try PartitionImageDisk(espImage: folder + "/esp.img", redoxFSImage: folder + "/volume.img")
        let seed = Randomness.reproducible(configurationText: "test", epoch: 1)
        try assembly.write(to: folder + "/a.img", randomness: seed)
        try assembly.write(to: folder + "/b.img", randomness: seed)
        try assembly.write(to: folder + "/c.img")
        #expect(try Self.bytes(folder + "/a.img") == Self.bytes(folder + "/b.img"))
        #expect(try Self.bytes(folder + "/a.img") != Self.bytes(folder + "/c.img"))
    }

    @Test func refusesMissingEmptyOrNonFileImages() throws {
        let folder = try Scratch.folder("assemble-bad")
        _ = FileManager.default.createFile(atPath: folder + "/esp.img", contents: Data(Self.pattern(4096, seed: 1)))
        _ = FileManager.default.createFile(atPath: folder + "/empty.img", contents: Data())
        #expect(throws: InstallerError.self) { try PartitionImageDisk(espImage: folder + "/esp.img", redoxFSImage: folder + "/missing.img") }
        #expect(throws: InstallerError.self) { try PartitionImageDisk(espImage: folder + "/esp.img", redoxFSImage: folder + "/empty.img") }
        #expect(throws: InstallerError.self) { try PartitionImageDisk(espImage: folder, redoxFSImage: folder + "/esp.img") }
        let assembly = try PartitionImageDisk(espImage: folder + "/esp.img", redoxFSImage: folder + "/esp.img")
        #expect(throws: InstallerError.self) { try assembly.write(to: folder) }
    }

    /// An assembly that fails while it copies (here the ESP image cut after its first MiB was
    /// copied) removes the output it made, as the installer does with a new image; an existing
    /// output stays (written as far as it went), and so does another file put at the output's
    /// path meanwhile.
    @Test func aFailedAssemblyRemovesOnlyTheOutputItMade() throws {
        let folder = try Scratch.folder("assemble-failed")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let esp = folder + "/esp.img", output = folder + "/disk.img", moved = folder + "/moved.img"
        func failedAssembly(meanwhile: @escaping () -> Void = {}) throws -> String? {
            #expect(FileManager.default.createFile(atPath: esp, contents: Data(Self.pattern(2 << 20, seed: 3))))
            let assembly = try PartitionImageDisk(espImage: esp, redoxFSImage: folder + "/volume.img")
            var cut = false
            let error = #expect(throws: InstallerError.self) {
                try assembly.write(to: output, randomness: Randomness(seed: nil)) {
                    guard !cut else { return }
                    cut = true
                    meanwhile()
                    _ = truncate(esp, 1 << 20)
                }
            }
            return error.map { "\($0)" }
        }
        _ = FileManager.default.createFile(atPath: folder + "/volume.img", contents: Data(Self.pattern(1 << 20, seed: 5)))
        let message = try failedAssembly()
        #expect(message == "\(esp): read failed: the file ends at byte \(1 << 20), before the \(1 << 20) bytes from byte \(1 << 20) were read (did it change meanwhile?)", "\(message ?? "")")
        #expect(access(output, F_OK) != 0, "the new output was left behind")

        #expect(FileManager.default.createFile(atPath: output, contents: Data(count: 1 << 20)))
        _ = try failedAssembly()
        #expect(access(output, F_OK) == 0, "an existing output was removed")

        #expect(unlink(output) == 0)
        _ = try failedAssembly {
            _ = rename(output, moved)
            _ = FileManager.default.createFile(atPath: output, contents: Data("someone else's".utf8))
        }
        #expect((try? String(contentsOfFile: output, encoding: .utf8)) == "someone else's", "another file at the path was removed")
    }
}
