// Schemes served by daemons with the v2 request protocol (kernel.md §3.3). The daemon's socket is
// a file of the scheme itself (handle number −1): reading it gives 64-byte `Sqe`s, writing it
// takes 16-byte `Cqe`s. A caller's buffer is mapped into the daemon (a window of borrowed pages)
// until the reply; the caller blocks until then. When the daemon dies or closes its socket, every
// pending request fails with EIO.

enum Opcode {
    static let dup: UInt8 = 4, read: UInt8 = 5, write: UInt8 = 6, fsize: UInt8 = 7, fevent: UInt8 = 11
    static let fpath: UInt8 = 13, frename: UInt8 = 14, fstat: UInt8 = 15, fsync: UInt8 = 17
    static let closeMessage: UInt8 = 27, call: UInt8 = 28, openAt: UInt8 = 29, unlinkAt: UInt8 = 32
}

final class SchemeRequest {
    var words = [UInt64](repeating: 0, count: 8)
    let tag: UInt32
    let oneWay: Bool
    var done = false
    var result = 0
    var extra: UInt8 = 0
    var windowSlot = -1
    var windowPages = 0
    let queue = WaitQueue()

    init(tag: UInt32, oneWay: Bool) {
        self.tag = tag
        self.oneWay = oneWay
    }
}

final class UserScheme: Scheme {
    static let socketNumber = -1
    static let maximumTransfer = 1 << 20
    let owner: Process
    var pending: [SchemeRequest] = []
    var inFlight: [SchemeRequest] = []
    let daemonWait = WaitQueue()
    var dead = false
    var nextTag: UInt32 = 1

    init(id: Int, name: [UInt8], owner: Process) {
        self.owner = owner
        super.init(id: id, name: name)
    }

    // MARK: caller side

    /// Sends one request; `buffer` is caller memory (or a page-exclusive kernel block) mapped into
    /// the daemon for the request's lifetime. (result, extra flags)
    func send(_ opcode: UInt8, _ args: [UInt64], buffer: (address: UInt64, count: Int, daemonWrites: Bool)? = nil,
              bufferArgument: Int = 1, oneWay: Bool = false) -> (Int, UInt8) {
        if dead { return (-Errno.EIO, 0) }
        let request = SchemeRequest(tag: nextTag, oneWay: oneWay)
        nextTag = nextTag &+ 1
        if nextTag == 0 { nextTag = 1 }
        request.words[0] = UInt64(opcode) | (oneWay ? 0x100 : 0) | UInt64(request.tag) << 32
        for index in 0..<min(args.count, 6) { request.words[1 + index] = args[index] }
        request.words[7] = UInt64(Scheduler.current?.pid ?? 0)
        if let buffer, buffer.count > 0 {
            guard let window = mapWindow(buffer.address, buffer.count, writable: buffer.daemonWrites, request) else {
                return (-Errno.ENOMEM, 0)
            }
            request.words[1 + bufferArgument] = window
        }
        pending.append(request)
        daemonWait.wakeAll()
        Events.changed()
        if oneWay { return (0, 0) }
        while !request.done { request.queue.wait() }
        return (request.result, request.extra)
    }

    private func mapWindow(_ address: UInt64, _ count: Int, writable: Bool, _ request: SchemeRequest) -> UInt64? {
        guard let daemonSpace = owner.space, let callerSpace = Scheduler.current?.space,
              let slot = owner.takeWindowSlot() else { return nil }
        let first = address & ~0xFFF
        let pages = Int((address + UInt64(count) - first + 4095) / 4096)
        let base = Layout.windowBase + UInt64(slot) * Layout.windowSlotSize
        for page in 0..<pages {
            guard let (physical, _) = callerSpace.translate(first + UInt64(page) * 4096) else { return nil }
            let flags = PageFlags.user | PageFlags.borrowed | PageFlags.noExecute | (writable ? PageFlags.writable : 0)
            daemonSpace.map(base + UInt64(page) * 4096, to: physical & ~0xFFF, flags: flags)
        }
        request.windowSlot = slot
        request.windowPages = pages
        return base + (address & 0xFFF)
    }

    private func unmapWindow(_ request: SchemeRequest) {
        guard request.windowSlot >= 0 else { return }
        if let space = owner.space {
            let base = Layout.windowBase + UInt64(request.windowSlot) * Layout.windowSlotSize
            for page in 0..<request.windowPages { space.unmap(base + UInt64(page) * 4096) }
            owner.windowSlots[request.windowSlot] = false
        }
        request.windowSlot = -1
    }

    private func complete(_ request: SchemeRequest, result: Int, extra: UInt8) {
        unmapWindow(request)
        request.result = result
        request.extra = extra
        request.done = true
        request.queue.wakeAll()
    }

    /// The daemon exited or closed its socket.
    func ownerDied() {
        guard !dead else { return }
        dead = true
        Schemes.remove(self)
        let failed = pending.filter { !$0.oneWay } + inFlight
        pending = []
        inFlight = []
        for request in failed { complete(request, result: -Errno.EIO, extra: 0) }
        Console.write("kernel: scheme ")
        Console.write(name)
        Console.write(" ended with its daemon (pid ")
        Console.decimal(owner.pid)
        Console.write("), ")
        Console.decimal(failed.count)
        Console.write(" pending requests failed with EIO\n")
        daemonWait.wakeAll()
        Events.changed()
    }

    /// A kernel block holding `bytes` alone in its page(s), for paths sent to the daemon.
    private func withExclusiveCopy(_ bytes: [UInt8], _ body: (UInt64) -> (Int, UInt8)) -> (Int, UInt8) {
        var block: UnsafeMutableRawPointer? = nil
        guard heapAllocate(&block, 4096, max(bytes.count, 4096)) == 0, let block else { return (-Errno.ENOMEM, 0) }
        bytes.withUnsafeBytes { if !bytes.isEmpty { block.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) } }
        defer { heapFree(block) }
        return body(UInt64(UInt(bitPattern: block)))
    }

    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) {
        guard path.count <= 4096 else { return (-Errno.ENAMETOOLONG, false) }
        let (result, extra) = withExclusiveCopy(path) { address in
            send(Opcode.openAt, [0, 0, UInt64(path.count), UInt64(flags), 0, 0],
                 buffer: path.isEmpty ? nil : (address, path.count, false))
        }
        return (result, extra & 1 != 0)
    }

    override func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        if file.number == UserScheme.socketNumber { return readRequests(file, address: address, count: count) }
        let length = min(count, UserScheme.maximumTransfer)
        let result = send(Opcode.read, [UInt64(bitPattern: Int64(file.number)), 0, UInt64(length), offset, 0, 0],
                          buffer: (address, length, true)).0
        return result > length ? -Errno.EIO : result   // a daemon cannot claim more than the buffer
    }

    override func write(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        if file.number == UserScheme.socketNumber { return writeResponses(address: address, count: count) }
        let length = min(count, UserScheme.maximumTransfer)
        let result = send(Opcode.write, [UInt64(bitPattern: Int64(file.number)), 0, UInt64(length), offset, 0, 0],
                          buffer: (address, length, false)).0
        return result > length ? -Errno.EIO : result
    }

    override func close(_ file: FileDescription) {
        if file.number == UserScheme.socketNumber {
            ownerDied()
        } else {
            _ = send(Opcode.closeMessage, [UInt64(file.number), 0, 0, 0, 0, 0], oneWay: true)
        }
    }

    override func dup(_ file: FileDescription, _ request: [UInt8]) -> (Int, Bool) {
        guard file.number != UserScheme.socketNumber else { return (-Errno.EINVAL, false) }
        let (result, extra) = withExclusiveCopy(request) { address in
            send(Opcode.dup, [UInt64(file.number), 0, UInt64(request.count), 0, 0, 0],
                 buffer: request.isEmpty ? nil : (address, request.count, false))
        }
        return (result, extra & 1 != 0)
    }

    override func fstat(_ file: FileDescription, address: UInt64) -> Int {
        if file.number == UserScheme.socketNumber { return super.fstat(file, address: address) }
        return send(Opcode.fstat, [UInt64(file.number), 0, 104, 0, 0, 0], buffer: (address, 104, true)).0
    }

    override func fpath(_ file: FileDescription, address: UInt64, count: Int) -> Int {
        if file.number == UserScheme.socketNumber { return super.fpath(file, address: address, count: count) }
        let length = min(count, 4096)
        return send(Opcode.fpath, [UInt64(file.number), 0, UInt64(length), 0, 0, 0], buffer: (address, length, true)).0
    }

    override func fsync(_ file: FileDescription) -> Int {
        if file.number == UserScheme.socketNumber { return 0 }
        return send(Opcode.fsync, [UInt64(file.number), 0, 0, 0, 0, 0]).0
    }

    override func unlink(_ reference: [UInt8], flags: Int) -> Int {
        guard reference.count <= 4096 else { return -Errno.ENAMETOOLONG }
        return withExclusiveCopy(reference) { address in
            send(Opcode.unlinkAt, [0, 0, UInt64(reference.count), UInt64(flags), 0, 0],
                 buffer: reference.isEmpty ? nil : (address, reference.count, false))
        }.0
    }

    override func rename(_ file: FileDescription, to reference: [UInt8]) -> Int {
        guard file.number != UserScheme.socketNumber else { return -Errno.EINVAL }
        guard reference.count <= 4096 else { return -Errno.ENAMETOOLONG }
        return withExclusiveCopy(reference) { address in
            send(Opcode.frename, [UInt64(file.number), 0, UInt64(reference.count), 0, 0, 0],
                 buffer: reference.isEmpty ? nil : (address, reference.count, false))
        }.0
    }

    override func size(_ file: FileDescription) -> Int {
        send(Opcode.fsize, [UInt64(file.number), 0, 0, 0, 0, 0]).0
    }

    override func fevent(_ file: FileDescription, flags: Int) -> Int {
        if file.number == UserScheme.socketNumber { return pending.isEmpty ? 0 : 1 }
        return 0
    }

    // MARK: daemon side

    private func readRequests(_ file: FileDescription, address: UInt64, count: Int) -> Int {
        let capacity = count / 64
        guard capacity > 0 else { return -Errno.EINVAL }
        while pending.isEmpty {
            if dead { return 0 }
            if file.flags & OpenFlags.nonBlock != 0 { return -Errno.EAGAIN }
            daemonWait.wait()
        }
        let out = UnsafeMutableRawPointer(bitPattern: UInt(address))!
        var copied = 0
        while copied < capacity && !pending.isEmpty {
            let request = pending.removeFirst()
            for word in 0..<8 {
                out.storeBytes(of: request.words[word], toByteOffset: 64 * copied + 8 * word, as: UInt64.self)
            }
            if !request.oneWay { inFlight.append(request) }
            copied += 1
        }
        return copied * 64
    }

    private func writeResponses(address: UInt64, count: Int) -> Int {
        let raw = UnsafeRawPointer(bitPattern: UInt(address))!
        for index in 0..<(count / 16) {
            let flags = raw.load(fromByteOffset: 16 * index, as: UInt8.self)
            let extra = raw.load(fromByteOffset: 16 * index + 1, as: UInt8.self)
            let tag = raw.loadUnaligned(fromByteOffset: 16 * index + 4, as: UInt32.self)
            let result = Int(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: 16 * index + 8, as: UInt64.self)))
            switch flags & 7 {
            case 0, 5:
                guard let position = inFlight.firstIndex(where: { $0.tag == tag }) else { continue }
                complete(inFlight.remove(at: position), result: result, extra: extra)
            case 2:
                Events.changed()
            default:
                guard let position = inFlight.firstIndex(where: { $0.tag == tag }) else { continue }
                complete(inFlight.remove(at: position), result: -Errno.EOPNOTSUPP, extra: 0)
            }
        }
        return count / 16 * 16
    }
}
