// bootloader-tools: host helpers for building and testing the UEFI loader.
//
//   bootloader-tools elf2efi INPUT.elf OUTPUT.efi
//       Converts a linked x86_64 ELF (PIE, relocations applied) into a PE32+ EFI application.
//
// Disk images (GPT, ESP, RedoxFS) are made by redox-installer (Sources/Installer holds the
// project's one GPT writer).

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
    default:
        throw ToolError("usage: bootloader-tools elf2efi INPUT.elf OUTPUT.efi")
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch {
    fputs("bootloader-tools: \(error)\n", stderr)
    exit(1)
}
