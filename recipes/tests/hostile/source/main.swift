// hostile: hands the kernel bad pointers, huge lengths and closed descriptors, expecting the
// right errno each time; then a child writes to kernel memory (it alone ends), and finally this
// process divides by zero (it alone ends). `hostile kernel-write` is that child.

import RedoxRuntime

nonisolated(unsafe) var right = 0
nonisolated(unsafe) var wrong = 0

func expect(_ result: Int, _ errno: Int, _ what: StaticString) {
    if result == -errno {
        right += 1
        say("hostile: ", .text(what), ": ", .text(Errno.name(result)))
    } else {
        wrong += 1
        say("hostile: WRONG: ", .text(what), ": got ", .number(result), ", wanted ", .text(Errno.name(-errno)))
    }
}

let kernelAddress: UInt64 = 0xFFFF_FFFF_8000_0000

@_cdecl("program_main")
func programMain() -> Int {
    if Runtime.arguments.count > 1 && Runtime.arguments[1] == bytes("kernel-write") {
        say("hostile: child writing to kernel memory at ", .hex(kernelAddress))
        rawStore(kernelAddress, 0x4141)
        say("hostile: WRONG: the write to kernel memory succeeded")
        return 0
    }
    let buffer = [UInt8](repeating: 0x41, count: 64)
    let bufferAddress = buffer.withUnsafeBytes { UInt64(UInt(bitPattern: $0.baseAddress)) }
    expect(Sys.call(SyscallNumber.write, 1, 0xDEAD_0000, 10), Errno.EFAULT, "write from an unmapped pointer")
    expect(Sys.call(SyscallNumber.write, 1, bufferAddress, 1 << 62), Errno.EFAULT, "write with a huge length")
    expect(Sys.call(SyscallNumber.write, 1, bufferAddress, UInt64.max), Errno.EFAULT, "write with length usize::MAX")
    let zero = Sys.open("/scheme/zero", flags: OpenFlags.readOnly)
    expect(Sys.call(SyscallNumber.read, UInt64(zero), kernelAddress, 16), Errno.EFAULT, "read into kernel memory")
    expect(Sys.call(SyscallNumber.read, UInt64(zero), 0x400000, 16), Errno.EFAULT, "read into read-only program text")
    expect(Sys.call(SyscallNumber.read, UInt64(zero), bufferAddress, 1 << 40), Errno.EFAULT, "read with a huge length")
    expect(Sys.call(SyscallNumber.read, 77, bufferAddress, 1), Errno.EBADF, "read from a descriptor never opened")
    expect(Sys.close(77), Errno.EBADF, "close of a descriptor never opened")
    _ = Sys.close(zero)
    expect(Sys.call(SyscallNumber.read, UInt64(zero), bufferAddress, 1), Errno.EBADF, "read from a closed descriptor")
    expect(Sys.call(SyscallNumber.write, UInt64(bitPattern: -5), bufferAddress, 1), Errno.EBADF, "write to a negative descriptor")
    expect(Sys.call(SyscallNumber.openAtInto, 0, 0, 10, 0, 0, UInt64.max), Errno.EFAULT, "open with a null path")
    expect(Sys.call(SyscallNumber.openAtInto, 0, kernelAddress, 10, 0, 0, UInt64.max), Errno.EFAULT, "open with a kernel path")
    expect(Sys.call(SyscallNumber.openAtInto, 0, bufferAddress, 1 << 40, 0, 0, UInt64.max), 36, "open with a huge path length")
    expect(Sys.call(SyscallNumber.fstat, 1, 0x10, 104), Errno.EFAULT, "fstat into page zero")
    expect(Sys.call(SyscallNumber.fpath, 1, kernelAddress, 64), Errno.EFAULT, "fpath into kernel memory")
    expect(Sys.call(SyscallNumber.fmap, UInt64.max, kernelAddress, 32), Errno.EFAULT, "fmap with a kernel Map pointer")
    expect(Sys.call(SyscallNumber.nanosleep, 0xDEAD_0000, 0), Errno.EFAULT, "nanosleep with a bad request")
    expect(Sys.call(SyscallNumber.clockGetTime, 4, kernelAddress), Errno.EFAULT, "clock_gettime into kernel memory")
    expect(Sys.call(110, 4), Errno.EINVAL, "iopl with a level above 3")
    expect(Sys.virtualToPhysical(kernelAddress), Errno.EFAULT, "virttophys of kernel memory")
    expect(Sys.virtualToPhysical(0xDEAD_0000), Errno.EFAULT, "virttophys of an unmapped address")
    let contiguous = Sys.open(bytes("/scheme/memory/zeroed?phys_contiguous"))
    expect(Sys.mapAnonymous(size: 2 << 20, fd: contiguous), Errno.ENOMEM, "physically contiguous memory above 1 MiB")
    _ = Sys.close(contiguous)
    // memory:physical maps only the loader's Reserved areas: not this process's own frames, not
    // unaligned offsets.
    let physicalMemory = Sys.open(bytes("/scheme/memory/physical"))
    let ownFrame = Sys.virtualToPhysical(bufferAddress & ~0xFFF)
    expect(Sys.mapPhysical(fd: physicalMemory, physical: UInt64(max(ownFrame, 0)), size: 4096, writable: true), Errno.EPERM,
           "memory:physical of the kernel's own frames")
    expect(Sys.mapPhysical(fd: physicalMemory, physical: 0x1234, size: 4096), Errno.EINVAL, "memory:physical at an unaligned address")
    _ = Sys.close(physicalMemory)
    expect(Sys.call(SyscallNumber.futex, kernelAddress, 0, 0), Errno.EFAULT, "futex on kernel memory")
    expect(Sys.call(0x7777), Errno.ENOSYS, "an unknown system call")
    var badRequest: [UInt64] = [kernelAddress, 4096, 0, 0, 0, 0, 0, 0]
    expect(badRequest.withUnsafeMutableBytes { Sys.call(fd: Runtime.processFd, payload: $0, metadata: [0x100]) },
           Errno.EFAULT, "spawn from a kernel address")
    expect(Process.spawn(image: buffer, arguments: [bytes("garbage")]), 8, "spawn of a non-ELF image")
    expect(Sys.mapAnonymous(size: 1 << 32), Errno.ENOMEM, "mapping 4 GiB, more than the machine has")
    let small = Sys.mapAnonymous(size: 1 << 20)
    if small > 0 { right += 1 } else { wrong += 1 }
    say("hostile: memory is back afterwards: 1 MiB mapped at ", .hex(UInt64(max(small, 0))))

    let program = Runtime.arguments.first ?? bytes("/scheme/initfs/bin/hostile")
    let child = Process.spawn(path: program, arguments: [program, bytes("kernel-write")])
    let (_, status) = Process.wait(child)
    let (exited, value) = Process.describe(status)
    if !exited && value == 11 { right += 1 } else { wrong += 1 }
    say("hostile: the child writing kernel memory was ended by signal ", .number(value), exited ? " (it exited!)" : "")
    say("hostile: ", .number(right), " cases gave the right result, ", .number(wrong), " did not")
    say("hostile: dividing by zero now")
    let result = rawDivide(1, UInt64(wrong))
    say("hostile: WRONG: survived a division by zero (", .number(Int(result)), ")")
    return 1
}
