// The kernel's own schemes: debug (1), event (2), memory (3), pipe (4), sys (8), kernel.proc (9).

enum OpenFlags {
    static let nonBlock = 0x4_0000
    static let create = 0x200_0000
    static let accessMode = 0x3_0000
}

/// `debug:` — the serial console.
final class DebugScheme: Scheme {
    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) { (0, false) }
    override func write(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        Console.write(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: count))
        return count
    }
    override func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int { 0 }
}

/// `memory:` — anonymous memory through FMAP (`zeroed`, `zeroed@wb`, …); `zeroed?phys_contiguous`
/// gives physically consecutive frames (handle 1), for device DMA with VIRTTOPHYS; `physical`
/// (handle 2) maps a physical range given as the map's offset (kernel.md §3.6), only inside
/// the loader's Reserved areas (the live disk image, the password page), never the kernel's
/// own frames.
final class MemoryScheme: Scheme {
    static let contiguousHandle = 1
    static let physicalHandle = 2

    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) {
        let text = path.prefix { $0 != 0x40 && $0 != 0x3F }
        let query: StaticString = "?phys_contiguous"
        let contiguous = Array(path.drop { $0 != 0x3F }) == Array(UnsafeBufferPointer(start: query.utf8Start, count: query.utf8CodeUnitCount))
        if text.isEmpty || Array(text) == Array("zeroed".utf8) { return (contiguous ? MemoryScheme.contiguousHandle : 0, false) }
        if Array(text) == Array("physical".utf8) { return (MemoryScheme.physicalHandle, false) }
        if Array(text) == Array("translation".utf8) { return (-Errno.EACCES, false) }
        return (-Errno.ENOENT, false)
    }
    override var mapsAnonymousMemory: Bool { true }
    override func fstat(_ file: FileDescription, address: UInt64) -> Int {
        Stat.write(address, mode: 0x2000 | 0o666, size: Frames.totalFrames * 4096)
        return 0
    }
}

/// One pipe: a byte buffer with counts of open read and write ends.
final class Pipe {
    static let capacity = 65_536
    var bytes: [UInt8] = []
    var readers = 1
    var writers = 0
    let queue = WaitQueue()
}

/// `pipe:` — open "" gives the read end, dup(read end, "write") the write end.
final class PipeScheme: Scheme {
    var ends: [(pipe: Pipe, writeEnd: Bool)?] = []

    private func add(_ pipe: Pipe, writeEnd: Bool) -> Int {
        for index in 0..<ends.count where ends[index] == nil {
            ends[index] = (pipe, writeEnd)
            return index
        }
        ends.append((pipe, writeEnd))
        return ends.count - 1
    }

    private func end(_ file: FileDescription) -> (pipe: Pipe, writeEnd: Bool)? {
        file.number >= 0 && file.number < ends.count ? ends[file.number] : nil
    }

    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) { (add(Pipe(), writeEnd: false), false) }

    override func dup(_ file: FileDescription, _ request: [UInt8]) -> (Int, Bool) {
        guard let end = end(file), !end.writeEnd, request == Array("write".utf8) else { return (-Errno.EINVAL, false) }
        end.pipe.writers += 1
        return (add(end.pipe, writeEnd: true), false)
    }

    override func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        guard let end = end(file), !end.writeEnd else { return -Errno.EBADF }
        let pipe = end.pipe
        while pipe.bytes.isEmpty {
            if pipe.writers == 0 { return 0 }
            if file.flags & OpenFlags.nonBlock != 0 { return -Errno.EAGAIN }
            pipe.queue.wait()
        }
        let length = min(count, pipe.bytes.count)
        pipe.bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(bitPattern: UInt(address))!.copyMemory(from: source.baseAddress!, byteCount: length)
        }
        pipe.bytes.removeFirst(length)
        pipe.queue.wakeAll()
        Events.changed()
        return length
    }

    override func write(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        guard let end = end(file), end.writeEnd else { return -Errno.EBADF }
        let pipe = end.pipe
        while true {
            if pipe.readers == 0 { return -Errno.EPIPE }
            if pipe.bytes.count < Pipe.capacity { break }
            if file.flags & OpenFlags.nonBlock != 0 { return -Errno.EAGAIN }
            pipe.queue.wait()
        }
        let length = min(count, Pipe.capacity - pipe.bytes.count)
        pipe.bytes.append(contentsOf: UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: length))
        pipe.queue.wakeAll()
        Events.changed()
        return length
    }

    override func close(_ file: FileDescription) {
        guard let end = end(file) else { return }
        if end.writeEnd { end.pipe.writers -= 1 } else { end.pipe.readers -= 1 }
        ends[file.number] = nil
        end.pipe.queue.wakeAll()
        Events.changed()
    }

    override func fevent(_ file: FileDescription, flags: Int) -> Int {
        guard let end = end(file) else { return 0 }
        if end.writeEnd {
            return end.pipe.bytes.count < Pipe.capacity || end.pipe.readers == 0 ? 2 : 0
        }
        return !end.pipe.bytes.isEmpty || end.pipe.writers == 0 ? 1 : 0
    }

    override func fstat(_ file: FileDescription, address: UInt64) -> Int {
        Stat.write(address, mode: 0x1000 | 0o600, size: UInt64(end(file)?.pipe.bytes.count ?? 0))
        return 0
    }
}

/// `event:` — event queues (kernel.md §3.5).
final class EventScheme: Scheme {
    final class Queue {
        var subscriptions: [(fd: Int, flags: Int, data: UInt64)] = []
        var timeoutMilliseconds: UInt64 = 0
    }
    static let timeoutId = UInt64.max - 2
    var queues: [Queue?] = []

    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) {
        queues.append(Queue())
        return (queues.count - 1, false)
    }

    private func queue(_ file: FileDescription) -> Queue? {
        file.number >= 0 && file.number < queues.count ? queues[file.number] : nil
    }

    override func write(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        guard let queue = queue(file) else { return -Errno.EBADF }
        let raw = UnsafeRawPointer(bitPattern: UInt(address))!
        for index in 0..<(count / 24) {
            let id = raw.loadUnaligned(fromByteOffset: 24 * index, as: UInt64.self)
            let flags = Int(raw.loadUnaligned(fromByteOffset: 24 * index + 8, as: UInt64.self))
            let data = raw.loadUnaligned(fromByteOffset: 24 * index + 16, as: UInt64.self)
            if id == EventScheme.timeoutId {
                queue.timeoutMilliseconds = data
                continue
            }
            let fd = Int(truncatingIfNeeded: id)
            guard Scheduler.current!.files.get(fd) != nil else { return -Errno.EBADF }
            queue.subscriptions.removeAll { $0.fd == fd }
            if flags != 0 { queue.subscriptions.append((fd, flags, data)) }
        }
        Events.changed()
        return count / 24 * 24
    }

    override func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        guard let queue = queue(file) else { return -Errno.EBADF }
        let capacity = count / 24
        guard capacity > 0 else { return -Errno.EINVAL }
        let out = UnsafeMutableRawPointer(bitPattern: UInt(address))!
        var deadline: UInt64 = 0
        if queue.timeoutMilliseconds != 0 {
            deadline = Timer.ticks + (queue.timeoutMilliseconds * 1_000_000 + Timer.nanosecondsPerTick - 1) / Timer.nanosecondsPerTick
            queue.timeoutMilliseconds = 0
        }
        while true {
            var found = 0
            for subscription in queue.subscriptions where found < capacity {
                guard let target = Scheduler.current!.files.get(subscription.fd) else { continue }
                let ready = target.scheme.fevent(target, flags: subscription.flags) & subscription.flags
                if ready != 0 {
                    out.storeBytes(of: UInt64(subscription.fd), toByteOffset: 24 * found, as: UInt64.self)
                    out.storeBytes(of: UInt64(ready), toByteOffset: 24 * found + 8, as: UInt64.self)
                    out.storeBytes(of: subscription.data, toByteOffset: 24 * found + 16, as: UInt64.self)
                    found += 1
                }
            }
            if found > 0 { return found * 24 }
            if deadline != 0 && Timer.ticks >= deadline {
                out.storeBytes(of: EventScheme.timeoutId, toByteOffset: 0, as: UInt64.self)
                out.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
                out.storeBytes(of: UInt64(0), toByteOffset: 16, as: UInt64.self)
                return 24
            }
            if file.flags & OpenFlags.nonBlock != 0 { return -Errno.EAGAIN }
            Events.waiters.wait(untilTick: deadline)
        }
    }

    override func close(_ file: FileDescription) {
        if queue(file) != nil { queues[file.number] = nil }
    }
}

/// `sys:` — `env` (the loader's environment block), `kstop` (write `shutdown`), `uname`.
final class SysScheme: Scheme {
    var environment: [UInt8] = []

    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) {
        switch path {
        case Array("env".utf8): (1, true)
        case Array("kstop".utf8): (2, false)
        case Array("uname".utf8): (3, true)
        default: (-Errno.ENOENT, false)
        }
    }

    private func content(_ number: Int) -> [UInt8] {
        number == 1 ? environment : number == 3 ? Array("Redox\nswift-kernel\n0.1.0\nx86_64\n".utf8) : []
    }

    override func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        let data = content(file.number)
        guard offset < UInt64(data.count) else { return 0 }
        return UserMemory.copyOut(Array(data[Int(offset)...]), to: address, count: count)
    }

    override func write(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        guard file.number == 2 else { return -Errno.EBADF }
        let text = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: count))
        let command = text.prefix { $0 != 0x0A }
        if Array(command) == Array("shutdown".utf8) { Power.off() }
        if Array(command) == Array("reset".utf8) { Power.reset() }
        return -Errno.EINVAL
    }

    override func size(_ file: FileDescription) -> Int { content(file.number).count }

    override func fstat(_ file: FileDescription, address: UInt64) -> Int {
        Stat.write(address, mode: 0x8000 | 0o444, size: UInt64(content(file.number).count))
        return 0
    }
}

enum Power {
    static func off() -> Never {
        Console.write("kernel: power off\n")
        portOut8(0xF4, 0x10)            // QEMU isa-debug-exit: exit status 33
        cpuHaltForever()
    }

    static func reset() -> Never {
        portOut8(0xCF9, 0x0E)
        cpuHaltForever()
    }
}

/// `/scheme`: reading lists the registered scheme names, one per line (Redox lists them through
/// its namespace manager; this kernel keeps the names itself).
final class SchemeListing: Scheme {
    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) { (0, true) }

    private func listing() -> [UInt8] {
        var text: [UInt8] = []
        for scheme in Schemes.all where scheme !== self {
            text += scheme.name
            text.append(0x0A)
        }
        return text
    }

    override func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        let text = listing()
        guard offset < UInt64(text.count) else { return 0 }
        return UserMemory.copyOut(Array(text[Int(offset)...]), to: address, count: count)
    }

    override func size(_ file: FileDescription) -> Int { listing().count }

    override func fstat(_ file: FileDescription, address: UInt64) -> Int {
        Stat.write(address, mode: 0x4000 | 0o555, size: UInt64(listing().count))
        return 0
    }

    override func fpath(_ file: FileDescription, address: UInt64, count: Int) -> Int {
        UserMemory.copyOut(Array("/scheme".utf8), to: address, count: count)
    }
}
