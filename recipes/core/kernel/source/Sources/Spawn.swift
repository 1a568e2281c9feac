// Starting processes: bootstrap from the initfs image (initfs-bootstrap.md §4), and statically
// linked ELF executables for the `kernel.proc` Spawn call.

enum Spawn {
    static let elfMagic: UInt32 = 0x464C_457F

    /// `SpawnRequest`: elf, elf_len, args, args_len, env, env_len, fds, fd_count (u64 each).
    /// args/env are NUL-terminated strings back to back; child fd i = parent fd fds[i]
    /// (usize::MAX: none).
    static func fromRequest(_ request: [UInt8]) -> Int {
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in 0..<8 { value |= UInt64(request[8 * index + byte]) << (8 * UInt64(byte)) }
            return value
        }
        let elfAddress = word(0), elfLength = word(1)
        guard elfLength <= 64 << 20, UserMemory.valid(elfAddress, Int(elfLength), writable: false) else { return -Errno.EFAULT }
        guard word(3) <= 65_536, word(5) <= 65_536, word(7) <= 1024,
              let arguments = UserMemory.copyIn(word(2), Int(word(3))),
              let environment = UserMemory.copyIn(word(4), Int(word(5))),
              let fdBytes = UserMemory.copyIn(word(6), Int(word(7)) * 8) else { return -Errno.EFAULT }
        let parent = Scheduler.current!
        var files: [FileDescription?] = []
        for index in 0..<Int(word(7)) {
            var fd: UInt64 = 0
            for byte in 0..<8 { fd |= UInt64(fdBytes[8 * index + byte]) << (8 * UInt64(byte)) }
            if fd == UInt64.max { files.append(nil); continue }
            guard let file = parent.files.get(Int(truncatingIfNeeded: fd)) else { return -Errno.EBADF }
            files.append(file)
        }
        let elf = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(elfAddress)), count: Int(elfLength))
        return start(elf: elf, arguments: split(arguments), environment: split(environment), files: files, parent: parent.pid)
    }

    private static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in bytes {
            if byte == 0 { result.append(current); current = [] } else { current.append(byte) }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Loads the ELF into a new address space and makes the process ready; its pid or −errno.
    static func start(elf: UnsafeRawBufferPointer, arguments: [[UInt8]], environment: [[UInt8]],
                      files: [FileDescription?], parent: Int) -> Int {
        guard elf.count >= 64, elf.loadUnaligned(as: UInt32.self) == elfMagic,
              elf[4] == 2, elf[5] == 1, elf.loadUnaligned(fromByteOffset: 18, as: UInt16.self) == 0x3E,
              elf.loadUnaligned(fromByteOffset: 16, as: UInt16.self) == 2 else { return -Errno.ENOEXEC }
        let entry = elf.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        let headerOffset = elf.loadUnaligned(fromByteOffset: 32, as: UInt64.self)
        let headerSize = Int(elf.loadUnaligned(fromByteOffset: 54, as: UInt16.self))
        let headerCount = Int(elf.loadUnaligned(fromByteOffset: 56, as: UInt16.self))
        guard headerSize >= 56, headerOffset < UInt64(elf.count),
              UInt64(headerCount * headerSize) <= UInt64(elf.count) - headerOffset else { return -Errno.ENOEXEC }
        guard let space = AddressSpace() else { return -Errno.ENOMEM }
        for index in 0..<headerCount {
            let header = Int(headerOffset) + index * headerSize
            guard elf.loadUnaligned(fromByteOffset: header, as: UInt32.self) == 1 else { continue }   // PT_LOAD
            let flags = elf.loadUnaligned(fromByteOffset: header + 4, as: UInt32.self)
            let offset = elf.loadUnaligned(fromByteOffset: header + 8, as: UInt64.self)
            let address = elf.loadUnaligned(fromByteOffset: header + 16, as: UInt64.self)
            let fileSize = elf.loadUnaligned(fromByteOffset: header + 32, as: UInt64.self)
            let memorySize = elf.loadUnaligned(fromByteOffset: header + 40, as: UInt64.self)
            guard fileSize <= memorySize, offset <= UInt64(elf.count), fileSize <= UInt64(elf.count) - offset,
                  address >= 0x1000, address < Layout.windowBase, memorySize < Layout.windowBase - address else {
                space.destroy()
                return -Errno.ENOEXEC
            }
            let pageFlags = PageFlags.user | (flags & 2 != 0 ? PageFlags.writable : 0) | (flags & 1 != 0 ? 0 : PageFlags.noExecute)
            guard space.mapFresh(address, address + memorySize, flags: pageFlags) else { space.destroy(); return -Errno.ENOMEM }
            if fileSize > 0 {
                space.write(address, UnsafeRawBufferPointer(rebasing: elf[Int(offset)..<Int(offset + fileSize)]))
            }
        }
        let stackFlags = PageFlags.user | PageFlags.writable | PageFlags.noExecute
        guard space.mapFresh(Layout.stackTop - Layout.stackSize, Layout.stackTop, flags: stackFlags) else {
            space.destroy()
            return -Errno.ENOMEM
        }
        let pid = Processes.allocatePid()
        let name = baseName(arguments.first ?? [])
        guard let process = Process(pid: pid, parent: parent, name: name, space: space) else {
            space.destroy()
            return -Errno.ENOMEM
        }
        for (slot, file) in files.enumerated() {
            if let file { _ = process.files.insert(file, at: slot) }
        }
        let proc = FileDescription(scheme: Schemes.find(id: 9)!, number: pid, flags: 0, positioned: false)
        _ = process.files.insert(proc, at: FileTable.upperTag)
        let stack = buildStack(space, arguments: arguments, environment: environment)
        process.prepareUserEntry(entry: entry, stack: stack)
        Processes.add(process)
        return pid
    }

    private static func baseName(_ path: [UInt8]) -> [UInt8] {
        var name = path
        if let slash = path.lastIndex(of: 0x2F) { name = Array(path[(slash + 1)...]) }
        return Array(name.prefix(32))
    }

    /// The System V start stack: argc, argv…, 0, envp…, 0, auxv (AT_PAGESZ, AT_REDOX_PROC_FD), 0.
    private static func buildStack(_ space: AddressSpace, arguments: [[UInt8]], environment: [[UInt8]]) -> UInt64 {
        let argumentCount = arguments.count
        var strings: [UInt8] = []
        var offsets: [Int] = []
        for text in arguments {
            offsets.append(strings.count)
            strings.append(contentsOf: text)
            strings.append(0)
        }
        for text in environment {
            offsets.append(strings.count)
            strings.append(contentsOf: text)
            strings.append(0)
        }
        let stringsBase = (Layout.stackTop - UInt64(strings.count)) & ~0xF
        var words: [UInt64] = [UInt64(argumentCount)]
        for index in 0..<offsets.count {
            if index == argumentCount { words.append(0) }
            words.append(stringsBase + UInt64(offsets[index]))
        }
        if offsets.count == argumentCount { words.append(0) }
        words.append(0)
        words += [6, 4096, 41, UInt64(FileTable.upperTag), 0, 0]
        var top = stringsBase - UInt64(words.count * 8)
        top &= ~0xF
        strings.withUnsafeBytes { space.write(stringsBase, $0) }
        words.withUnsafeBytes { space.write(top, $0) }
        return top
    }

    /// The first process: the initfs image at 0x1000, the metadata pages with the kernel scheme
    /// handles, entry from the header at offset 0x1A, no stack (initfs-bootstrap.md §4).
    static func bootstrap(_ boot: BootInfo) {
        guard let space = AddressSpace() else { panic("no memory for bootstrap") }
        let flags = PageFlags.user | PageFlags.writable
        guard space.mapFresh(Layout.bootstrapBase, Layout.bootstrapBase + boot.bootstrapSize, flags: flags) else {
            panic("no memory for the bootstrap image")
        }
        space.write(Layout.bootstrapBase, UnsafeRawBufferPointer(start: Layout.physical(boot.bootstrapBase), count: Int(boot.bootstrapSize)))
        let pid = Processes.allocatePid()
        guard let process = Process(pid: pid, parent: 0, name: Array("bootstrap".utf8), space: space) else {
            panic("no memory for bootstrap")
        }
        var metadata: [UInt8] = []
        func put(_ value: UInt64) { for byte in 0..<8 { metadata.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte)))) } }
        let kernelSchemes = Schemes.all
        put(UInt64(kernelSchemes.count))
        for scheme in kernelSchemes {
            let number = scheme.id == 9 ? pid : 0
            let file = FileDescription(scheme: scheme, number: number, flags: 0, positioned: false)
            _ = process.files.insert(file, at: FileTable.upperTag | scheme.id)
            put(UInt64(scheme.id))
            put(UInt64(FileTable.upperTag | scheme.id))
        }
        put(UInt64.max)   // no scheme-creation capability: daemons create schemes with `:NAME`
        guard space.mapFresh(Layout.metadataBase, Layout.metadataBase + 0x4000, flags: PageFlags.user | PageFlags.noExecute) else {
            panic("no memory for the bootstrap metadata")
        }
        metadata.withUnsafeBytes { space.write(Layout.metadataBase, $0) }
        let entry = Layout.physical(boot.bootstrapBase).loadUnaligned(fromByteOffset: 0x1A, as: UInt64.self)
        guard entry != 0 else { panic("the initfs header gives no bootstrap entry") }
        process.prepareUserEntry(entry: entry, stack: 0, rflags: 0x200)
        Processes.add(process)
    }
}
