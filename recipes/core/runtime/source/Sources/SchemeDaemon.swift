// Serving a scheme with the v2 request protocol (kernel.md §3.3): register `:NAME`, read 64-byte
// Sqes, answer with 16-byte Cqes. A daemon subclasses `SchemeDaemon` and overrides what it serves;
// buffers in requests are the caller's, mapped into this process until the reply.

/// One request as the daemon sees it.
public struct Request {
    public let opcode: UInt8
    public let flags: UInt8
    public let tag: UInt32
    public let args: [UInt64]
    public let callerPid: UInt64

    /// The request's buffer (args[1], args[2]) as bytes.
    public var buffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(args[1])), count: Int(args[2]))
    }
}

open class SchemeDaemon {
    public static let opDup: UInt8 = 4, opRead: UInt8 = 5, opWrite: UInt8 = 6, opFsize: UInt8 = 7
    public static let opFpath: UInt8 = 13, opFrename: UInt8 = 14, opFstat: UInt8 = 15, opFstatvfs: UInt8 = 16
    public static let opFsync: UInt8 = 17, opFtruncate: UInt8 = 18, opClose: UInt8 = 27, opOpenAt: UInt8 = 29
    public static let opUnlinkAt: UInt8 = 32

    public let name: [UInt8]
    public var socket = -1

    public init(name: [UInt8]) { self.name = name }

    /// Opens a handle for `path`; its number or −errno, and whether the kernel keeps the offset.
    open func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) { (-Errno.ENOENT, false) }
    open func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int { -Errno.EBADF }
    open func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int { -Errno.EBADF }
    open func close(handle: Int) {}
    open func size(handle: Int) -> Int { -Errno.ESPIPE }
    /// (mode, size) for fstat.
    open func stat(handle: Int) -> (UInt16, UInt64)? { (0x2000 | 0o666, 0) }
    /// The path fpath reports for the handle (without the `/scheme/NAME/` prefix).
    open func path(handle: Int) -> [UInt8] { [] }

    /// Creates the scheme; false on failure.
    public func register() -> Int {
        socket = Sys.open([0x3A] + name, flags: OpenFlags.readWrite | OpenFlags.create)
        return socket
    }

    /// Tells init the scheme is ready: one byte 0 on the INIT_NOTIFY pipe (kernel.md §4.1).
    public func notifyReady() {
        guard let value = Runtime.variable("INIT_NOTIFY") else {
            say(.bytes(name), ": INIT_NOTIFY is not set, nobody to notify (", .number(Runtime.environment.count), " variables, ", .number(Runtime.arguments.count), " arguments)")
            for entry in Runtime.environment { say("  env ", .bytes(entry)) }
            return
        }
        var fd = 0
        for digit in value where digit >= 0x30 && digit <= 0x39 { fd = fd * 10 + Int(digit - 0x30) }
        let written = Sys.write(fd, [0])
        if written != 1 { say(.bytes(name), ": cannot notify on fd ", .number(fd), ": ", .text(Errno.name(written))) }
        _ = Sys.close(fd)
    }

    /// Answers requests until the socket fails.
    public func serve() -> Int { serve(tickMilliseconds: 0, onTick: {}) }

    /// Answers requests until the socket fails; with `tickMilliseconds` > 0, `onTick` runs
    /// whenever that long passes without a request (an event queue watches the socket with a
    /// timeout, kernel.md §3.5).
    public func serve(tickMilliseconds: Int, onTick: () -> Void) -> Int {
        var incoming = [UInt8](repeating: 0, count: 64 * 16)
        var queue = -1
        if tickMilliseconds > 0 {
            queue = Sys.open("/scheme/event", flags: OpenFlags.readWrite)
            let subscription: [UInt64] = [UInt64(socket), 1, 0]
            if queue >= 0 && Sys.write(queue, subscription.withUnsafeBytes { Array($0) }) != 24 {
                _ = Sys.close(queue)
                queue = -1
            }
        }
        while true {
            if queue >= 0 {
                let timeout: [UInt64] = [UInt64.max - 2, 0, UInt64(tickMilliseconds)]
                _ = Sys.write(queue, timeout.withUnsafeBytes { Array($0) })
                var event = [UInt8](repeating: 0, count: 24)
                let got = event.withUnsafeMutableBytes { Sys.read(queue, $0) }
                let id = event.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                if got == 24 && id == UInt64.max - 2 {
                    onTick()
                    continue
                }
            }
            let got = incoming.withUnsafeMutableBytes { Sys.read(socket, $0) }
            if got <= 0 { return got }
            var replies: [UInt8] = []
            for index in 0..<(got / 64) {
                let request = incoming.withUnsafeBytes { raw -> Request in
                    let base = 64 * index
                    var args: [UInt64] = []
                    for word in 0..<6 { args.append(raw.loadUnaligned(fromByteOffset: base + 8 + 8 * word, as: UInt64.self)) }
                    return Request(opcode: raw[base], flags: raw[base + 1],
                                   tag: raw.loadUnaligned(fromByteOffset: base + 4, as: UInt32.self), args: args,
                                   callerPid: raw.loadUnaligned(fromByteOffset: base + 56, as: UInt64.self))
                }
                if request.flags & 1 != 0 || request.opcode == SchemeDaemon.opClose {
                    handle(request)
                    continue
                }
                let (result, extra) = handle(request)
                var reply = [UInt8](repeating: 0, count: 16)
                reply[1] = extra
                for byte in 0..<4 { reply[4 + byte] = UInt8(truncatingIfNeeded: request.tag >> (8 * UInt32(byte))) }
                let value = UInt64(bitPattern: Int64(result))
                for byte in 0..<8 { reply[8 + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
                replies += reply
            }
            if !replies.isEmpty { _ = Sys.write(socket, replies) }
        }
    }

    /// Answers one request: (result or −errno, extra flags). Daemons override it for opcodes
    /// beyond the ones below and call `super` for the rest.
    @discardableResult
    open func handle(_ request: Request) -> (Int, UInt8) {
        let handle = Int(truncatingIfNeeded: request.args[0])
        switch request.opcode {
        case SchemeDaemon.opOpenAt:
            let path = request.args[2] == 0 ? [] : Array(UnsafeRawBufferPointer(request.buffer))
            let (result, positioned) = open(path: path, flags: Int(request.args[3]), caller: request.callerPid)
            return (result, positioned ? 1 : 0)
        case SchemeDaemon.opRead:
            return (read(handle: handle, into: request.buffer, offset: request.args[3]), 0)
        case SchemeDaemon.opWrite:
            return (write(handle: handle, from: UnsafeRawBufferPointer(request.buffer), offset: request.args[3]), 0)
        case SchemeDaemon.opClose:
            close(handle: handle)
            return (0, 0)
        case SchemeDaemon.opFsize:
            return (size(handle: handle), 0)
        case SchemeDaemon.opFstat:
            guard request.args[2] >= 104, let (mode, size) = stat(handle: handle) else { return (-Errno.EBADF, 0) }
            let out = request.buffer
            out.initializeMemory(as: UInt8.self, repeating: 0)
            out.storeBytes(of: mode, toByteOffset: 16, as: UInt16.self)
            out.storeBytes(of: UInt32(1), toByteOffset: 20, as: UInt32.self)
            out.storeBytes(of: size, toByteOffset: 32, as: UInt64.self)
            out.storeBytes(of: UInt32(4096), toByteOffset: 40, as: UInt32.self)
            return (0, 0)
        case SchemeDaemon.opFpath:
            var full = bytes("/scheme/") + name
            let rest = path(handle: handle)
            if !rest.isEmpty { full += [0x2F] + rest }
            let count = min(full.count, request.buffer.count)
            for index in 0..<count { request.buffer[index] = full[index] }
            return (count, 0)
        default:
            return (-Errno.EOPNOTSUPP, 0)
        }
    }
}
