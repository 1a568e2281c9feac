/// Writes a PE32+ EFI application image from a linked ELF image: one section per loadable segment,
/// plus a `.reloc` section holding the ELF's relative relocations as DIR64 base relocations.
enum PEWriter {
    static let sectionAlignment = 0x1000
    static let fileAlignment = 0x200
    /// PE subsystem number of an EFI application.
    static let efiApplicationSubsystem: UInt16 = 10

    private static let peHeaderOffset = 0x40
    private static let optionalHeaderSize = 240
    private static let sectionHeaderSize = 40
    private static let dataDirectoryCount = 16
    private static let baseRelocationDirectory = 5
    private static let dir64Relocation: UInt16 = 10

    private struct Section {
        var name: String
        var rva: Int
        var virtualSize: Int
        var data: ArraySlice<UInt8>
        var characteristics: UInt32
    }

    /// The PE image for `elf`.
    static func image(for elf: ELFImage) throws(ToolError) -> [UInt8] {
        let lowest = elf.segments.map(\.virtualAddress).min()!
        let imageBase = lowest & ~0xFFFF
        var sections: [Section] = []
        for segment in elf.segments {
            guard segment.virtualAddress % UInt64(sectionAlignment) == 0 else {
                throw ToolError("segment at 0x\(String(segment.virtualAddress, radix: 16)) is not page aligned")
            }
            let rva = Int(segment.virtualAddress - imageBase)
            if let last = sections.last, alignUp(last.rva + last.virtualSize, sectionAlignment) > rva {
                throw ToolError("segments overlap within a page at RVA 0x\(String(rva, radix: 16))")
            }
            let (name, characteristics): (String, UInt32) =
                segment.isExecutable ? (".text", 0x6000_0020)
                : segment.isWritable ? (".data", 0xC000_0040)
                : (".rdata", 0x4000_0040)
            let data = elf.file.bytes[segment.fileOffset..<segment.fileOffset + segment.fileSize]
            sections.append(Section(name: name, rva: rva, virtualSize: segment.memorySize, data: data,
                                    characteristics: characteristics))
        }
        let relocations = baseRelocations(sites: elf.relocationSites.map { Int($0 - imageBase) })
        let last = sections.last!
        let relocationRVA = alignUp(last.rva + last.virtualSize, sectionAlignment)
        sections.append(Section(name: ".reloc", rva: relocationRVA, virtualSize: relocations.count,
                                data: ArraySlice(relocations), characteristics: 0x4200_0040))

        let headersSize = alignUp(peHeaderOffset + 24 + optionalHeaderSize + sectionHeaderSize * sections.count, fileAlignment)
        guard headersSize <= sections[0].rva else { throw ToolError("the first segment starts below the PE headers") }
        let imageSize = alignUp(relocationRVA + relocations.count, sectionAlignment)

        var out = ByteBuffer(count: headersSize)
        out.storeASCII("MZ", at: 0)
        out.store32(UInt32(peHeaderOffset), at: 0x3C)
        out.storeASCII("PE\0\0", at: peHeaderOffset)
        let coff = peHeaderOffset + 4
        out.store16(elf.machine == ELFImage.aarch64Machine ? 0xAA64 : 0x8664, at: coff)  // machine
        out.store16(UInt16(sections.count), at: coff + 2)
        out.store16(UInt16(optionalHeaderSize), at: coff + 16)
        out.store16(0x0022, at: coff + 18)                   // executable, large-address aware

        let optional = coff + 20
        let code = sections.filter { $0.characteristics & 0x20 != 0 }
        out.store16(0x20B, at: optional)                     // PE32+
        out.store32(UInt32(code.reduce(0) { $0 + alignUp($1.data.count, fileAlignment) }), at: optional + 4)
        out.store32(UInt32(elf.entry - imageBase), at: optional + 16)
        out.store32(UInt32(code.first?.rva ?? 0), at: optional + 20)
        out.store64(imageBase, at: optional + 24)
        out.store32(UInt32(sectionAlignment), at: optional + 32)
        out.store32(UInt32(fileAlignment), at: optional + 36)
        out.store32(UInt32(imageSize), at: optional + 56)
        out.store32(UInt32(headersSize), at: optional + 60)
        out.store16(efiApplicationSubsystem, at: optional + 68)
        out.store16(0x0040, at: optional + 70)               // dynamic base: the image is relocatable
        out.store32(UInt32(dataDirectoryCount), at: optional + 108)
        let directory = optional + 112 + 8 * baseRelocationDirectory
        out.store32(UInt32(relocationRVA), at: directory)
        out.store32(UInt32(relocations.count), at: directory + 4)

        var fileOffset = headersSize
        for (index, section) in sections.enumerated() {
            let header = optional + optionalHeaderSize + index * sectionHeaderSize
            out.storeASCII(section.name, at: header)
            out.store32(UInt32(section.virtualSize), at: header + 8)
            out.store32(UInt32(section.rva), at: header + 12)
            let rawSize = alignUp(section.data.count, fileAlignment)
            out.store32(UInt32(rawSize), at: header + 16)
            out.store32(UInt32(rawSize == 0 ? 0 : fileOffset), at: header + 20)
            out.store32(section.characteristics, at: header + 36)
            out.store(section.data, at: fileOffset)
            fileOffset += rawSize
            out.reserve(fileOffset)
        }
        return out.bytes
    }

    /// Encodes `sites` (RVAs of 64-bit words) as base-relocation blocks, one per 4 KiB page.
    private static func baseRelocations(sites: [Int]) -> [UInt8] {
        var out = ByteBuffer(count: 0)
        var index = 0
        let sorted = sites.sorted()
        if sorted.isEmpty {
            // Firmware expects a relocation directory even when nothing moves: one empty block.
            out.store32(0, at: 0)
            out.store32(12, at: 4)
            out.store32(0, at: 8)
            return out.bytes
        }
        while index < sorted.count {
            let page = sorted[index] & ~0xFFF
            var entries: [UInt16] = []
            while index < sorted.count, sorted[index] & ~0xFFF == page {
                entries.append(dir64Relocation << 12 | UInt16(sorted[index] & 0xFFF))
                index += 1
            }
            if entries.count % 2 == 1 { entries.append(0) }  // pad the block to a multiple of 4 bytes
            let start = out.bytes.count
            out.store32(UInt32(page), at: start)
            out.store32(UInt32(8 + 2 * entries.count), at: start + 4)
            for (n, entry) in entries.enumerated() { out.store16(entry, at: start + 8 + 2 * n) }
        }
        return out.bytes
    }
}
