// System calls: Redox's numbers and register convention (kernel.md §2.1–2.2), results as
// negative errno. Every pointer is checked before use.

enum SyscallNumber {
    static let openAtInto: UInt64 = 0x101003DB, unlinkAt: UInt64 = 0x10000107, close: UInt64 = 0x20000006
    static let dupInto: UInt64 = 0x201003DC, dup2: UInt64 = 0x2010003F, read: UInt64 = 0x22000003
    static let write: UInt64 = 0x21000004, read2: UInt64 = 0x22000023, write2: UInt64 = 0x2100002D
    static let lseek: UInt64 = 0x20000013, fcntl: UInt64 = 0x20000037, fevent: UInt64 = 0x2000039F
    static let call: UInt64 = 0x2300CA11, fmap: UInt64 = 0x21000384, funmap: UInt64 = 0x2000005C
    static let mprotect: UInt64 = 0x7D, fpath: UInt64 = 0x220003A0, fstat: UInt64 = 0x2200001C
    static let fsync: UInt64 = 0x20000076, clockGetTime: UInt64 = 0x109, nanosleep: UInt64 = 0xA2
    static let yield: UInt64 = 0x9E, futex: UInt64 = 0xF0, iopl: UInt64 = 110, virtToPhys: UInt64 = 949
    static let frename: UInt64 = 0x23000026
}

@_cdecl("syscall_dispatch")
func syscallDispatch(_ rawFrame: UnsafeMutableRawPointer) {
    let frame = rawFrame.assumingMemoryBound(to: TrapFrame.self)
    let f = frame.pointee
    var result = 0
    if f.rax == SyscallNumber.iopl {
        // IOPL(level): port I/O for this process (driver daemons; every process is uid 0 here).
        if f.rdi <= 3 {
            frame.pointee.rflags = (f.rflags & ~0x3000) | (f.rdi << 12)
        } else {
            result = -Errno.EINVAL
        }
    } else {
        result = Syscalls.handle(f.rax, f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9)
    }
    frame.pointee.rax = UInt64(bitPattern: Int64(result))
    // SYSRET to a non-canonical RCX would fault in ring 0: end such a process instead.
    if frame.pointee.rip >= Layout.userEnd, let process = Scheduler.current {
        Console.write("kernel: process ")
        Console.decimal(process.pid)
        Console.write(" killed: system call at the end of user space\n")
        Processes.exit(process, status: 11)
    }
}

enum Syscalls {
    nonisolated(unsafe) static var count: UInt64 = 0

    static func handle(_ number: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, _ e: UInt64, _ g: UInt64) -> Int {
        count += 1
        let process = Scheduler.current!
        let files = process.files
        func file(_ fd: UInt64) -> FileDescription? { files.get(Int(truncatingIfNeeded: fd)) }
        func length(_ value: UInt64) -> Int? { value <= UInt64(Int.max) ? Int(value) : nil }
        switch number {
        case SyscallNumber.openAtInto:
            guard let count = length(c), count <= 4096 else { return -Errno.ENAMETOOLONG }
            guard let path = UserMemory.copyIn(b, count) else { return -Errno.EFAULT }
            return open(path, flags: Int(truncatingIfNeeded: d), slot: g, process)
        case SyscallNumber.close:
            guard let description = files.remove(Int(truncatingIfNeeded: a)) else { return -Errno.EBADF }
            description.release()
            return 0
        case SyscallNumber.dupInto, SyscallNumber.dup2:
            let isDup2 = number == SyscallNumber.dup2
            let (bufferAddress, bufferLength, slot) = isDup2 ? (c, d, b) : (b, c, d)
            guard let source = file(a) else { return -Errno.EBADF }
            guard let count = length(bufferLength), count <= 4096 else { return -Errno.EINVAL }
            guard let request = UserMemory.copyIn(bufferAddress, count) else { return -Errno.EFAULT }
            var description = source
            if !request.isEmpty {
                let (number, positioned) = source.scheme.dup(source, request)
                if number < 0 && number != UserScheme.socketNumber { return number }
                description = FileDescription(scheme: source.scheme, number: number, flags: source.flags, positioned: positioned)
            }
            let target = slot == UInt64.max ? files.lowestFree() : Int(truncatingIfNeeded: slot)
            let result = files.insert(description, at: target, replace: isDup2)
            if result < 0 && description !== source { description.scheme.close(description) }
            return result
        case SyscallNumber.read, SyscallNumber.write, SyscallNumber.read2, SyscallNumber.write2:
            let reading = number == SyscallNumber.read || number == SyscallNumber.read2
            guard let description = file(a) else { return -Errno.EBADF }
            guard let count = length(c), UserMemory.valid(b, count, writable: reading) else { return -Errno.EFAULT }
            let explicit = number == SyscallNumber.read2 || number == SyscallNumber.write2
            let offset = explicit ? d : (description.positioned ? description.offset : UInt64.max)
            let result = reading
                ? description.scheme.read(description, address: b, count: count, offset: offset)
                : description.scheme.write(description, address: b, count: count, offset: offset)
            if result > 0 && !explicit && description.positioned { description.offset += UInt64(result) }
            return result
        case SyscallNumber.lseek:
            guard let description = file(a) else { return -Errno.EBADF }
            guard description.positioned else { return -Errno.ESPIPE }
            let offset = Int64(bitPattern: b)
            var base: Int64 = 0
            switch c {
            case 0: base = 0
            case 1: base = Int64(description.offset)
            case 2:
                let size = description.scheme.size(description)
                if size < 0 { return size }
                base = Int64(size)
            default: return -Errno.EINVAL
            }
            let target = base &+ offset
            guard target >= 0 else { return -Errno.EINVAL }
            description.offset = UInt64(target)
            return Int(target)
        case SyscallNumber.fcntl:
            guard let description = file(a) else { return -Errno.EBADF }
            switch b {
            case 0:
                let target = files.lowestFree()
                return files.insert(description, at: max(target, Int(truncatingIfNeeded: c)))
            case 1, 2: return 0
            case 3: return description.flags
            case 4:
                description.flags = (description.flags & OpenFlags.accessMode) | (Int(truncatingIfNeeded: c) & ~OpenFlags.accessMode)
                return 0
            default: return -Errno.EINVAL
            }
        case SyscallNumber.fevent:
            guard let description = file(a) else { return -Errno.EBADF }
            return description.scheme.fevent(description, flags: Int(truncatingIfNeeded: b))
        case SyscallNumber.call:
            guard let description = file(a) else { return -Errno.EBADF }
            guard let count = length(c), UserMemory.valid(b, count, writable: d & (1 << 10) != 0) else { return -Errno.EFAULT }
            let metadataCount = Int(d & 0xFF)
            guard metadataCount <= 3, let raw = UserMemory.copyIn(e, metadataCount * 8) else { return -Errno.EFAULT }
            var metadata: [UInt64] = []
            for index in 0..<metadataCount {
                var value: UInt64 = 0
                for byte in 0..<8 { value |= UInt64(raw[8 * index + byte]) << (8 * UInt64(byte)) }
                metadata.append(value)
            }
            return description.scheme.call(description, payload: b, count: count, metadata: metadata)
        case SyscallNumber.fmap:
            return Memory.fmap(process, fd: a, mapAddress: b, mapLength: c)
        case SyscallNumber.funmap:
            return Memory.funmap(process, address: a, length: b)
        case SyscallNumber.mprotect:
            return Memory.mprotect(process, address: a, length: b, protection: c)
        case SyscallNumber.fpath:
            guard let description = file(a) else { return -Errno.EBADF }
            guard let count = length(c), UserMemory.valid(b, count, writable: true) else { return -Errno.EFAULT }
            return description.scheme.fpath(description, address: b, count: count)
        case SyscallNumber.fstat:
            guard let description = file(a) else { return -Errno.EBADF }
            guard c >= 104, UserMemory.valid(b, 104, writable: true) else { return -Errno.EFAULT }
            let result = description.scheme.fstat(description, address: b)
            if result >= 0 { _ = UserMemory.store(UInt64(description.scheme.id), at: b) }
            return result
        case SyscallNumber.fsync:
            guard let description = file(a) else { return -Errno.EBADF }
            return description.scheme.fsync(description)
        case SyscallNumber.unlinkAt:
            // The path is absolute (dirfd is not used in this subset): its scheme removes it.
            guard let count = length(c), count <= 4096 else { return -Errno.ENAMETOOLONG }
            guard let path = UserMemory.copyIn(b, count) else { return -Errno.EFAULT }
            guard let (name, reference) = Schemes.split(path) else { return -Errno.ENOENT }
            guard let scheme = Schemes.find(name) else { return -Errno.ENODEV }
            return scheme.unlink(reference, flags: Int(truncatingIfNeeded: d))
        case SyscallNumber.frename:
            guard let description = file(a) else { return -Errno.EBADF }
            guard let count = length(c), count <= 4096 else { return -Errno.ENAMETOOLONG }
            guard let path = UserMemory.copyIn(b, count) else { return -Errno.EFAULT }
            guard let (name, reference) = Schemes.split(path) else { return -Errno.ENOENT }
            guard Schemes.find(name) === description.scheme else { return -Errno.EXDEV }
            return description.scheme.rename(description, to: reference)
        case SyscallNumber.clockGetTime:
            guard a == 1 || a == 4 else { return -Errno.EINVAL }
            guard UserMemory.valid(b, 16, writable: true) else { return -Errno.EFAULT }
            let now = Timer.nanoseconds
            let raw = UnsafeMutableRawPointer(bitPattern: UInt(b))!
            raw.storeBytes(of: Int64(now / 1_000_000_000), as: Int64.self)
            raw.storeBytes(of: Int64(now % 1_000_000_000), toByteOffset: 8, as: Int64.self)
            return 0
        case SyscallNumber.nanosleep:
            guard let request = UserMemory.copyIn(a, 16) else { return -Errno.EFAULT }
            if b != 0 && !UserMemory.valid(b, 16, writable: true) { return -Errno.EFAULT }
            let seconds = request.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
            let nanos = request.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) }
            guard seconds >= 0, nanos >= 0, nanos < 1_000_000_000, seconds < 1 << 32 else { return -Errno.EINVAL }
            let total = UInt64(seconds) * 1_000_000_000 + UInt64(nanos)
            let ticks = max(1, (total + Timer.nanosecondsPerTick - 1) / Timer.nanosecondsPerTick)
            Scheduler.sleepUntil(Timer.ticks + ticks)
            if b != 0 { UnsafeMutableRawPointer(bitPattern: UInt(b))!.initializeMemory(as: UInt8.self, repeating: 0, count: 16) }
            return 0
        case SyscallNumber.yield:
            Scheduler.yield()
            return 0
        case SyscallNumber.virtToPhys:
            return Memory.virtualToPhysical(process, address: a)
        case SyscallNumber.futex:
            return Futex.handle(process, address: a, operation: b, value: c, deadline: d)
        default:
            return -Errno.ENOSYS
        }
    }

    /// OPENAT_INTO: `:NAME` with O_CREAT creates a user scheme (its socket is the result);
    /// anything else opens through the named scheme. Slot usize::MAX = lowest free.
    static func open(_ path: [UInt8], flags: Int, slot: UInt64, _ process: Process) -> Int {
        let target = slot == UInt64.max ? process.files.lowestFree() : Int(truncatingIfNeeded: slot)
        if process.files.get(target) != nil { return -Errno.EEXIST }
        let description: FileDescription
        if path.first == 0x3A && flags & OpenFlags.create != 0 {
            let name = Array(path[1...])
            guard !name.isEmpty, name.count <= 64, !name.contains(0x2F) else { return -Errno.EINVAL }
            guard Schemes.find(name) == nil else { return -Errno.EEXIST }
            let scheme = UserScheme(id: Schemes.nextUserId, name: name, owner: process)
            Schemes.nextUserId += 1
            Schemes.add(scheme)
            process.ownedSchemes.append(scheme)
            Console.write("kernel: scheme ")
            Console.write(name)
            Console.write(" registered by ")
            Console.write(process.name)
            Console.write(" (pid ")
            Console.decimal(process.pid)
            Console.write(")\n")
            description = FileDescription(scheme: scheme, number: UserScheme.socketNumber, flags: flags, positioned: false)
        } else if path == Array("/scheme".utf8) || path == Array("/scheme/".utf8) {
            description = FileDescription(scheme: Schemes.listing, number: 0, flags: flags, positioned: true)
        } else {
            guard let (name, reference) = Schemes.split(path) else { return -Errno.ENOENT }
            guard let scheme = Schemes.find(name) else { return -Errno.ENODEV }
            let (number, positioned) = scheme.open(reference, flags: flags)
            if number < 0 { return number }
            description = FileDescription(scheme: scheme, number: number, flags: flags, positioned: positioned)
        }
        let result = process.files.insert(description, at: target)
        if result < 0 { description.scheme.close(description) }
        return result
    }
}
