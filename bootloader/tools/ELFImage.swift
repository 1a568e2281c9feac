/// The parts of a linked x86_64 or aarch64 ELF executable that the PE converter needs: its
/// machine, its loadable segments, its entry point and its relative dynamic relocations
/// (R_X86_64_RELATIVE, R_AARCH64_RELATIVE).
struct ELFImage {
    /// One PT_LOAD program header.
    struct Segment {
        var virtualAddress: UInt64
        var fileOffset: Int
        var fileSize: Int
        var memorySize: Int
        var isExecutable: Bool
        var isWritable: Bool
    }

    /// The ELF machine number: 0x3E (x86_64) or 0xB7 (aarch64).
    var machine: UInt16
    var entry: UInt64
    var segments: [Segment]
    /// Virtual addresses of the 64-bit words that must be rebased when the image moves.
    var relocationSites: [UInt64]
    /// The file's bytes.
    var file: ByteBuffer

    private static let loadSegment: UInt32 = 1
    private static let dynamicSegment: UInt32 = 2
    private static let relaTag: UInt64 = 7
    private static let relaSizeTag: UInt64 = 8
    private static let relaEntrySizeTag: UInt64 = 9
    static let x86_64Machine: UInt16 = 0x3E
    static let aarch64Machine: UInt16 = 0xB7
    /// R_X86_64_RELATIVE or R_AARCH64_RELATIVE, by machine.
    private var relativeRelocation: UInt32 { machine == Self.aarch64Machine ? 1027 : 8 }
    private static let noneRelocation: UInt32 = 0

    /// Parses `bytes`, which must be a little-endian ELF64 x86_64 or aarch64 executable or shared object.
    init(_ bytes: [UInt8]) throws(ToolError) {
        file = ByteBuffer(bytes)
        guard bytes.count >= 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else { throw ToolError("not an ELF file") }
        guard bytes[4] == 2, bytes[5] == 1 else { throw ToolError("not a little-endian ELF64 file") }
        machine = file.load16(at: 18)
        guard machine == Self.x86_64Machine || machine == Self.aarch64Machine else {
            throw ToolError("not an x86_64 or aarch64 ELF file")
        }
        entry = file.load64(at: 24)
        let headerOffset = Int(file.load64(at: 32))
        let headerSize = Int(file.load16(at: 54))
        let headerCount = Int(file.load16(at: 56))
        segments = []
        relocationSites = []
        var dynamic: (offset: Int, size: Int)?
        for index in 0..<headerCount {
            let at = headerOffset + index * headerSize
            let type = file.load32(at: at)
            let flags = file.load32(at: at + 4)
            let offset = Int(file.load64(at: at + 8))
            let fileSize = Int(file.load64(at: at + 32))
            if type == Self.loadSegment {
                let segment = Segment(
                    virtualAddress: file.load64(at: at + 16), fileOffset: offset, fileSize: fileSize,
                    memorySize: Int(file.load64(at: at + 40)), isExecutable: flags & 1 != 0, isWritable: flags & 2 != 0)
                guard segment.fileOffset + segment.fileSize <= bytes.count else { throw ToolError("segment \(index) lies outside the file") }
                segments.append(segment)
            } else if type == Self.dynamicSegment {
                dynamic = (offset, fileSize)
            }
        }
        guard !segments.isEmpty else { throw ToolError("no loadable segment") }
        if let dynamic { try readRelocations(dynamic: dynamic) }
    }

    /// Maps a virtual address inside a segment's file bytes to a file offset.
    func fileOffset(of address: UInt64) -> Int? {
        for segment in segments where address >= segment.virtualAddress
            && address < segment.virtualAddress + UInt64(segment.fileSize) {
            return segment.fileOffset + Int(address - segment.virtualAddress)
        }
        return nil
    }

    private mutating func readRelocations(dynamic: (offset: Int, size: Int)) throws(ToolError) {
        var table: UInt64 = 0
        var tableSize = 0
        var entrySize = 24
        var at = dynamic.offset
        while at + 16 <= dynamic.offset + dynamic.size {
            let tag = file.load64(at: at)
            let value = file.load64(at: at + 8)
            if tag == 0 { break }
            switch tag {
            case Self.relaTag: table = value
            case Self.relaSizeTag: tableSize = Int(value)
            case Self.relaEntrySizeTag: entrySize = Int(value)
            default: break
            }
            at += 16
        }
        guard tableSize > 0 else { return }
        guard let start = fileOffset(of: table) else { throw ToolError("relocation table is not loaded") }
        for at in stride(from: start, to: start + tableSize, by: entrySize) {
            let site = file.load64(at: at)
            let type = UInt32(truncatingIfNeeded: file.load64(at: at + 8))
            let addend = file.load64(at: at + 16)
            if type == Self.noneRelocation { continue }
            guard type == relativeRelocation else {
                throw ToolError("unsupported dynamic relocation type \(type) at 0x\(String(site, radix: 16))")
            }
            guard let siteOffset = fileOffset(of: site) else {
                throw ToolError("relocation site 0x\(String(site, radix: 16)) is not in the file")
            }
            // The linker was asked to apply the relocations (--apply-dynamic-relocs); make sure it did,
            // because the PE loader only adds the load delta to what is stored.
            guard file.load64(at: siteOffset) == addend else {
                throw ToolError("relocation site 0x\(String(site, radix: 16)) does not hold its addend; link with --apply-dynamic-relocs")
            }
            relocationSites.append(site)
        }
    }
}
