// Processes through the kernel's `kernel.proc` handle: spawn a static ELF, wait, exit.

public enum Process {
    /// Ends this process with `status`.
    public static func exit(_ status: Int) -> Never {
        _ = Sys.call(fd: Runtime.processFd, payload: nil, metadata: [2, UInt64(status & 0xFF)])
        while true { _ = Sys.yield() }
    }

    /// Starts the ELF in `image` with `arguments` (argv[0] first), `environment` (KEY=VALUE) and
    /// child fd i = `fds[i]` (−1: none); the child's pid or −errno.
    public static func spawn(image: [UInt8], arguments: [[UInt8]], environment: [[UInt8]] = [], fds: [Int] = [0, 1, 2]) -> Int {
        var args: [UInt8] = []
        for argument in arguments { args += argument; args.append(0) }
        var env: [UInt8] = []
        for entry in environment { env += entry; env.append(0) }
        let slots = fds.map { UInt64(bitPattern: Int64($0)) }
        return image.withUnsafeBytes { elf in
            args.withUnsafeBytes { a in
                env.withUnsafeBytes { e in
                    slots.withUnsafeBytes { s in
                        var request: [UInt64] = [Sys.address(elf), UInt64(elf.count), Sys.address(a), UInt64(a.count),
                                                 Sys.address(e), UInt64(e.count), Sys.address(s), UInt64(slots.count)]
                        return request.withUnsafeMutableBytes {
                            Sys.call(fd: Runtime.processFd, payload: $0, metadata: [0x100])
                        }
                    }
                }
            }
        }
    }

    /// Reads the whole file at `path` (through its scheme) and spawns it.
    public static func spawn(path: [UInt8], arguments: [[UInt8]], environment: [[UInt8]] = [], fds: [Int] = [0, 1, 2]) -> Int {
        guard let image = readFile(path) else { return -Errno.ENOENT }
        return spawn(image: image, arguments: arguments, environment: environment, fds: fds)
    }

    /// Waits for child `pid` (−1: any): (pid or −errno, status).
    public static func wait(_ pid: Int = -1) -> (Int, Int) {
        var status: UInt64 = 0
        let result = withUnsafeMutableBytes(of: &status) {
            Sys.call(fd: Runtime.processFd, payload: $0, metadata: [0, UInt64(bitPattern: Int64(pid))], flags: 1 << 10)
        }
        return (result, Int(status))
    }

    /// POSIX status: (exited, code or signal).
    public static func describe(_ status: Int) -> (exited: Bool, value: Int) {
        status & 0x7F == 0 ? (true, (status >> 8) & 0xFF) : (false, status & 0x7F)
    }

    public static var id: Int {
        var meta = [UInt8](repeating: 0, count: 44)
        _ = meta.withUnsafeMutableBytes { Sys.read(Runtime.processFd, $0) }
        return Int(meta[0]) | Int(meta[1]) << 8 | Int(meta[2]) << 16
    }
}

/// The whole content of a file, or nil.
public func readFile(_ path: [UInt8]) -> [UInt8]? {
    let fd = Sys.open(path, flags: OpenFlags.readOnly)
    guard fd >= 0 else { return nil }
    defer { _ = Sys.close(fd) }
    let (result, _, size) = Sys.fstat(fd)
    var data: [UInt8] = []
    if result >= 0 && size > 0 { data.reserveCapacity(Int(size)) }
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let got = chunk.withUnsafeMutableBytes { Sys.read(fd, $0) }
        if got < 0 { return nil }
        if got == 0 { break }
        data.append(contentsOf: chunk[0..<got])
    }
    return data
}
