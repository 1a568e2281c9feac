import RedoxFSFormat

/// Loads the kernel and the initfs from the volume into page allocations and checks their magic.
enum BootFiles {
    /// A file loaded into memory: `size` bytes at the start of a zeroed, page-rounded allocation.
    struct LoadedFile {
        var memory: UnsafeMutableRawBufferPointer
        var size: Int

        var address: UInt64 { bits(memory.baseAddress) }

        func starts(with magic: [UInt8]) -> Bool {
            size >= magic.count && memory[0..<magic.count].elementsEqual(magic)
        }
    }

    /// The kernel ELF, kept in memory as one flat file, and its entry point.
    struct Kernel {
        var file: LoadedFile
        var entry: UInt64
    }

    static let kernelPath: StaticString = "usr/lib/boot/kernel"
    static let initfsPath: StaticString = "usr/lib/boot/initfs"
    private static let chunkSize = 1 << 20

    static func loadKernel(from volume: inout BootVolume) -> Kernel {
        let file = load(kernelPath, from: &volume)
        guard file.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else {
            Console.fatal("\(kernelPath) has invalid magic number (not an ELF file)")
        }
        guard file.size >= 0x20 else { Console.fatal("\(kernelPath) is too short for an ELF header") }
        // e_entry at offset 0x18: 64 bits for ELFCLASS64, else 32; byte order from EI_DATA.
        let is64Bit = file.memory[4] == 2
        let bigEndian = file.memory[5] == 2
        var entry: UInt64 = 0
        for index in 0..<(is64Bit ? 8 : 4) {
            let byte = UInt64(file.memory[0x18 + index])
            entry = bigEndian ? entry << 8 | byte : entry | byte << (8 * UInt64(index))
        }
        guard is64Bit else { Console.fatal("\(kernelPath) is a 32-bit ELF; this loader starts 64-bit kernels only") }
        return Kernel(file: file, entry: entry)
    }

    /// The initfs, which becomes the bootstrap region (its page-rounded allocation).
    static func loadInitfs(from volume: inout BootVolume) -> LoadedFile {
        let file = load(initfsPath, from: &volume)
        guard file.starts(with: Array("RedoxFtw".utf8)) else {
            Console.fatal("\(initfsPath) has invalid magic number (expected RedoxFtw)")
        }
        return file
    }

    /// Reads the file at `path` 1 MiB at a time, showing `<path>: i/n MiB`.
    private static func load(_ path: StaticString, from volume: inout BootVolume) -> LoadedFile {
        var pathBytes: [UInt8] = []
        pathBytes.append(path)
        let node: Node
        do throws(FormatError) {
            node = try volume.node(at: pathBytes)
        } catch {
            Console.fatal("Failed to find \(path): \(Message(error))")
        }
        guard node.kind == .file else { Console.fatal("\(path) is not a regular file") }
        guard node.size > 0, node.size < PhysicalMemory.limit else {
            Console.fatal("\(path) has an unusable size (\(node.size) bytes)")
        }
        let size = Int(node.size)
        let memory = PhysicalMemory.allocate(size, for: path)
        let chunks = (size + chunkSize - 1) / chunkSize
        for chunk in 0..<chunks {
            let start = chunk * chunkSize
            let part = UnsafeMutableRawBufferPointer(rebasing: memory[start..<min(start + chunkSize, size)])
            Console.write(Message("\r\(path): \(chunk + 1)/\(chunks) MiB").bytes)
            do throws(FormatError) {
                let count = try volume.read(node, at: UInt64(start), into: part)
                guard count == part.count else { Console.fatal("\(path): short read at byte \(start + count)") }
            } catch {
                Console.print("")
                Console.fatal("Failed to read \(path): \(Message(error))")
            }
        }
        Console.print("")
        return LoadedFile(memory: memory, size: size)
    }
}
