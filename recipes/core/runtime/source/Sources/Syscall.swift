// System-call wrappers (the stand-in for relibc): Redox's numbers and convention; results are
// values or negative errno.

@_extern(c, "redox_syscall")
func redoxSyscall(_ number: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, _ e: UInt64, _ f: UInt64) -> Int

@_extern(c, "runtime_divide") public func rawDivide(_ dividend: UInt64, _ divisor: UInt64) -> UInt64
@_extern(c, "runtime_store") public func rawStore(_ address: UInt64, _ value: UInt64)
@_extern(c, "runtime_timestamp") public func timestamp() -> UInt64
@_extern(c, "runtime_empty_function") public func emptyFunction(_ value: UInt64) -> UInt64
@_extern(c, "runtime_rdrand") func hardwareRandom() -> UInt64
@_extern(c, "runtime_cpuid_ecx") func cpuidECX(_ leaf: UInt32) -> UInt32

/// Redox system-call numbers (kernel.md §2.2).
public enum SyscallNumber {
    public static let openAtInto: UInt64 = 0x101003DB, close: UInt64 = 0x20000006, dupInto: UInt64 = 0x201003DC
    public static let read: UInt64 = 0x22000003, write: UInt64 = 0x21000004, lseek: UInt64 = 0x20000013
    public static let fcntl: UInt64 = 0x20000037, fevent: UInt64 = 0x2000039F, call: UInt64 = 0x2300CA11
    public static let fmap: UInt64 = 0x21000384, funmap: UInt64 = 0x2000005C, fpath: UInt64 = 0x220003A0
    public static let fstat: UInt64 = 0x2200001C, clockGetTime: UInt64 = 0x109, nanosleep: UInt64 = 0xA2
    public static let yield: UInt64 = 0x9E, futex: UInt64 = 0xF0, read2: UInt64 = 0x22000023, write2: UInt64 = 0x2100002D
    public static let fsync: UInt64 = 0x20000076, unlinkAt: UInt64 = 0x10000107, frename: UInt64 = 0x23000026
}

public enum Errno {
    public static let EPERM = 1, ENOENT = 2, EIO = 5, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EFAULT = 14
    public static let EEXIST = 17, ENODEV = 19, EINVAL = 22, ESPIPE = 29, EPIPE = 32, ENOSYS = 38, EOPNOTSUPP = 95
    public static let EBUSY = 16, EACCES = 13, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EFBIG = 27, ENOSPC = 28
    public static let EROFS = 30, ENAMETOOLONG = 36, ENOLCK = 37, ENOTEMPTY = 39, ENOKEY = 126

    public static func name(_ value: Int) -> StaticString {
        switch -value {
        case 1: "EPERM"
        case 2: "ENOENT"
        case 5: "EIO"
        case 8: "ENOEXEC"
        case 9: "EBADF"
        case 10: "ECHILD"
        case 11: "EAGAIN"
        case 12: "ENOMEM"
        case 14: "EFAULT"
        case 17: "EEXIST"
        case 19: "ENODEV"
        case 22: "EINVAL"
        case 29: "ESPIPE"
        case 32: "EPIPE"
        case 36: "ENAMETOOLONG"
        case 38: "ENOSYS"
        case 95: "EOPNOTSUPP"
        case 13: "EACCES"
        case 16: "EBUSY"
        case 18: "EXDEV"
        case 20: "ENOTDIR"
        case 21: "EISDIR"
        case 27: "EFBIG"
        case 28: "ENOSPC"
        case 30: "EROFS"
        case 37: "ENOLCK"
        case 39: "ENOTEMPTY"
        case 126: "ENOKEY"
        default: value >= 0 ? "success" : "error"
        }
    }
}

public enum OpenFlags {
    public static let readOnly = 0x1_0000, writeOnly = 0x2_0000, readWrite = 0x3_0000
    public static let nonBlock = 0x4_0000, create = 0x200_0000, directory = 0x1000_0000
    public static let append = 0x8_0000, truncate = 0x400_0000, exclusive = 0x800_0000, stat = 0x2000_0000
    public static let accessMode = 0x3_0000
}

/// The system calls, one function each.
public enum Sys {
    public static func call(_ number: UInt64, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0,
                            _ d: UInt64 = 0, _ e: UInt64 = 0, _ f: UInt64 = 0) -> Int {
        redoxSyscall(number, a, b, c, d, e, f)
    }

    /// Opens `path` (`/scheme/NAME/…` or `NAME:…`) into the lowest free slot.
    public static func open(_ path: [UInt8], flags: Int = OpenFlags.readWrite) -> Int {
        path.withUnsafeBytes {
            call(SyscallNumber.openAtInto, 0, address($0), UInt64($0.count), UInt64(flags), 0, UInt64.max)
        }
    }

    public static func open(_ path: StaticString, flags: Int = OpenFlags.readWrite) -> Int {
        call(SyscallNumber.openAtInto, 0, UInt64(UInt(bitPattern: path.utf8Start)), UInt64(path.utf8CodeUnitCount),
             UInt64(flags), 0, UInt64.max)
    }

    public static func read(_ fd: Int, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        call(SyscallNumber.read, UInt64(bitPattern: Int64(fd)), address(UnsafeRawBufferPointer(buffer)), UInt64(buffer.count))
    }

    public static func write(_ fd: Int, _ buffer: UnsafeRawBufferPointer) -> Int {
        call(SyscallNumber.write, UInt64(bitPattern: Int64(fd)), address(buffer), UInt64(buffer.count))
    }

    public static func write(_ fd: Int, _ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { write(fd, $0) }
    }

    /// Reads up to `count` bytes into a new array (empty on error or end).
    public static func read(_ fd: Int, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { read(fd, $0) }
        return got > 0 ? Array(bytes[0..<got]) : []
    }

    /// READ2 at byte `offset` (pread).
    public static func read(_ fd: Int, _ buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        call(SyscallNumber.read2, UInt64(bitPattern: Int64(fd)), address(UnsafeRawBufferPointer(buffer)), UInt64(buffer.count),
             offset, UInt64.max)
    }

    /// WRITE2 at byte `offset` (pwrite).
    public static func write(_ fd: Int, _ buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int {
        call(SyscallNumber.write2, UInt64(bitPattern: Int64(fd)), address(buffer), UInt64(buffer.count), offset, UInt64.max)
    }

    public static func fsync(_ fd: Int) -> Int { call(SyscallNumber.fsync, UInt64(bitPattern: Int64(fd))) }

    /// UNLINKAT of an absolute path (`removeDirectory`: AT_REMOVEDIR).
    public static func unlink(_ path: [UInt8], removeDirectory: Bool = false) -> Int {
        path.withUnsafeBytes {
            call(SyscallNumber.unlinkAt, 0, address($0), UInt64($0.count), removeDirectory ? 0x200 : 0)
        }
    }

    /// FRENAME: the file open at `fd` gets the absolute path `path`.
    public static func rename(_ fd: Int, to path: [UInt8]) -> Int {
        path.withUnsafeBytes { call(SyscallNumber.frename, UInt64(bitPattern: Int64(fd)), address($0), UInt64($0.count)) }
    }

    public static func close(_ fd: Int) -> Int { call(SyscallNumber.close, UInt64(bitPattern: Int64(fd))) }

    /// DUP_INTO with a scheme-defined request (e.g. "write" on a pipe) into the lowest free slot.
    public static func dup(_ fd: Int, _ request: [UInt8] = []) -> Int {
        request.withUnsafeBytes {
            call(SyscallNumber.dupInto, UInt64(bitPattern: Int64(fd)), address($0), UInt64($0.count), UInt64.max)
        }
    }

    public static func fpath(_ fd: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 256)
        let got = bytes.withUnsafeMutableBytes {
            call(SyscallNumber.fpath, UInt64(bitPattern: Int64(fd)), address(UnsafeRawBufferPointer($0)), 256)
        }
        return got > 0 ? Array(bytes[0..<got]) : []
    }

    /// FSTAT: (result, st_mode, st_size).
    public static func fstat(_ fd: Int) -> (Int, UInt16, UInt64) {
        var stat = [UInt8](repeating: 0, count: 104)
        let result = stat.withUnsafeMutableBytes {
            call(SyscallNumber.fstat, UInt64(bitPattern: Int64(fd)), address(UnsafeRawBufferPointer($0)), 104)
        }
        let mode = stat.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt16.self) }
        let size = stat.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 32, as: UInt64.self) }
        return (result, mode, size)
    }

    /// Anonymous memory (fd usize::MAX or a `memory:` handle): address or −errno.
    public static func mapAnonymous(size: Int, fd: Int = -1, fixedAddress: UInt64 = 0) -> Int {
        let protection: UInt64 = 0x6_0000
        let words: [UInt64] = [0, UInt64(size), protection | (fixedAddress != 0 ? 4 : 0), fixedAddress]
        return words.withUnsafeBytes {
            call(SyscallNumber.fmap, UInt64(bitPattern: Int64(fd)), address($0), 32)
        }
    }

    public static func unmap(_ address: UInt64, size: Int) -> Int { call(SyscallNumber.funmap, address, UInt64(size)) }

    public static func yield() -> Int { call(SyscallNumber.yield) }

    public static func sleep(milliseconds: Int) -> Int {
        let spec: [Int64] = [Int64(milliseconds / 1000), Int64(milliseconds % 1000) * 1_000_000]
        return spec.withUnsafeBytes { call(SyscallNumber.nanosleep, address($0), 0) }
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 {
        var spec: [Int64] = [0, 0]
        _ = spec.withUnsafeMutableBytes { call(SyscallNumber.clockGetTime, 4, address(UnsafeRawBufferPointer($0))) }
        return UInt64(spec[0]) * 1_000_000_000 + UInt64(spec[1] & 0xFFFF_FFFF)
    }

    public static func futexWait(_ word: UnsafeMutablePointer<UInt32>, expected: UInt32) -> Int {
        call(SyscallNumber.futex, UInt64(UInt(bitPattern: word)), 0, UInt64(expected))
    }

    public static func futexWake(_ word: UnsafeMutablePointer<UInt32>, count: Int) -> Int {
        call(SyscallNumber.futex, UInt64(UInt(bitPattern: word)), 1, UInt64(count))
    }

    /// SYS_CALL with metadata words.
    public static func call(fd: Int, payload: UnsafeMutableRawBufferPointer?, metadata: [UInt64], flags: UInt64 = 0) -> Int {
        metadata.withUnsafeBytes { meta in
            call(SyscallNumber.call, UInt64(bitPattern: Int64(fd)),
                 payload.map { UInt64(UInt(bitPattern: $0.baseAddress)) } ?? 0, UInt64(payload?.count ?? 0),
                 UInt64(metadata.count) | flags, address(meta))
        }
    }

    static func address(_ buffer: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(UInt(bitPattern: buffer.baseAddress))
    }
}

/// Whether the processor offers RDRAND (CPUID.1:ECX bit 30).
public func cpuHasRDRAND() -> Bool { cpuidECX(1) & (1 << 30) != 0 }

/// A value from RDRAND (0 after ten failures).
public func hardwareRandomValue() -> UInt64 { hardwareRandom() }

// Port I/O and device-memory reads for driver daemons (start.S); port I/O needs `Sys.iopl()` first.
@_extern(c, "runtime_inb") public func portIn8(_ port: UInt16) -> UInt8
@_extern(c, "runtime_inw") public func portIn16(_ port: UInt16) -> UInt16
@_extern(c, "runtime_inl") public func portIn32(_ port: UInt16) -> UInt32
@_extern(c, "runtime_outb") public func portOut8(_ port: UInt16, _ value: UInt8)
@_extern(c, "runtime_outw") public func portOut16(_ port: UInt16, _ value: UInt16)
@_extern(c, "runtime_outl") public func portOut32(_ port: UInt16, _ value: UInt32)
@_extern(c, "runtime_load16") public func deviceLoad16(_ address: UInt64) -> UInt16

extension Sys {
    /// IOPL 3: port I/O for this process (kernel.md §1.3 `Iopl`); 0 or −errno.
    public static func iopl() -> Int { call(110, 3) }
    /// VIRTTOPHYS: the physical address behind `address`, or −errno.
    public static func virtualToPhysical(_ address: UInt64) -> Int { call(949, address) }

    /// Maps `size` bytes of physical memory at `physical` (page aligned) through a
    /// `memory:physical` handle `fd` (kernel.md §3.6); read-only unless `writable`. The address,
    /// or −errno (EPERM outside the loader's Reserved areas).
    public static func mapPhysical(fd: Int, physical: UInt64, size: Int, writable: Bool = false) -> Int {
        let protection: UInt64 = writable ? 0x6_0000 : 0x4_0000
        let words: [UInt64] = [physical, UInt64(size), protection, 0]
        return words.withUnsafeBytes {
            call(SyscallNumber.fmap, UInt64(bitPattern: Int64(fd)), address($0), 32)
        }
    }
}
