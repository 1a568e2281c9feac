// bootloader-tools: host helpers for building and testing the UEFI loader.
//
//   bootloader-tools elf2efi INPUT.elf OUTPUT.efi
//       Converts a linked x86_64 ELF (PIE, relocations applied) into a PE32+ EFI application.
//   bootloader-tools gpt-disk OUTPUT ESP.img REDOXFS.img
//       Writes a GPT disk in the installer's layout: ESP at 1 MiB, RedoxFS right after it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func run(_ arguments: [String]) throws(ToolError) {
    switch arguments.first {
    case "elf2efi" where arguments.count == 3:
        let elf = try ELFImage(HostFile.read(arguments[1]))
        try HostFile.write(PEWriter.image(for: elf), to: arguments[2])
    case "gpt-disk" where arguments.count == 4:
        let disk = GPTDisk(partitions: [
            .init(type: GPTDisk.efiSystemType, name: "EFI", contents: try HostFile.read(arguments[2])),
            .init(type: GPTDisk.linuxDataType, name: "REDOX", contents: try HostFile.read(arguments[3])),
        ])
        try HostFile.write(disk.image(), to: arguments[1])
    default:
        throw ToolError("usage: bootloader-tools elf2efi INPUT.elf OUTPUT.efi | gpt-disk OUTPUT ESP.img REDOXFS.img")
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch {
    fputs("bootloader-tools: \(error)\n", stderr)
    exit(1)
}
