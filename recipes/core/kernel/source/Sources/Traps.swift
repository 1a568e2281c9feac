// Exceptions and interrupts. A kernel fault prints the registers and the faulting address and
// halts; a fault in ring 3 ends only that process, with a message.

/// The registers entry.S saves, lowest address first.
struct TrapFrame {
    var r15: UInt64, r14: UInt64, r13: UInt64, r12: UInt64, r11: UInt64, r10: UInt64, r9: UInt64, r8: UInt64
    var rbp: UInt64, rdi: UInt64, rsi: UInt64, rdx: UInt64, rcx: UInt64, rbx: UInt64, rax: UInt64
    var vector: UInt64, error: UInt64
    var rip: UInt64, cs: UInt64, rflags: UInt64, rsp: UInt64, ss: UInt64

    static let size = 22 * 8
}

enum Exceptions {
    static func name(_ vector: UInt64) -> StaticString {
        switch vector {
        case 0: "divide error"
        case 1: "debug"
        case 2: "non-maskable interrupt"
        case 3: "breakpoint"
        case 4: "overflow"
        case 5: "bound range exceeded"
        case 6: "invalid opcode"
        case 7: "device not available"
        case 8: "double fault"
        case 10: "invalid TSS"
        case 11: "segment not present"
        case 12: "stack-segment fault"
        case 13: "general protection fault"
        case 14: "page fault"
        case 16: "x87 floating-point error"
        case 17: "alignment check"
        case 18: "machine check"
        case 19: "SIMD floating-point error"
        case 20: "virtualization exception"
        case 21: "control protection"
        default: "reserved exception"
        }
    }

    /// POSIX signal number a user fault ends the process with.
    static func signal(_ vector: UInt64) -> Int {
        switch vector {
        case 0, 16, 19: 8     // SIGFPE
        case 6: 4             // SIGILL
        case 3, 1: 5          // SIGTRAP
        case 17: 7            // SIGBUS
        default: 11           // SIGSEGV
        }
    }
}

@_cdecl("trap_dispatch")
func trapDispatch(_ rawFrame: UnsafeMutableRawPointer) {
    let frame = rawFrame.assumingMemoryBound(to: TrapFrame.self)
    let vector = frame.pointee.vector
    let fromUser = frame.pointee.cs & 3 == 3
    if vector < 32 {
        if fromUser {
            userFault(frame)
        } else {
            kernelFault(frame)
        }
    }
    if vector >= 32 && vector < 48 {
        let irq = vector - 32
        if irq == 7 || irq == 15 {
            // Spurious interrupts: acknowledge only the master for a spurious slave one.
            if irq == 15 { portOut8(0x20, 0x20) }
            return
        }
        if irq >= 8 { portOut8(0xA0, 0x20) }
        portOut8(0x20, 0x20)
        if irq == 0 {
            Timer.tick()
            if fromUser { Scheduler.preemptIfDue() }
        }
    }
}

private func userFault(_ frame: UnsafeMutablePointer<TrapFrame>) -> Never {
    let process = Scheduler.current!
    let vector = frame.pointee.vector
    Console.write("kernel: process ")
    Console.decimal(process.pid)
    Console.write(" (")
    Console.write(process.name)
    Console.write(") killed: ")
    Console.write(Exceptions.name(vector))
    Console.write(" at rip ")
    Console.hex(frame.pointee.rip)
    if vector == 14 {
        Console.write(", address ")
        Console.hex(cpuCR2())
        Console.write(", error ")
        Console.hex(frame.pointee.error, digits: 2)
    }
    Console.write("\n")
    Processes.exit(process, status: Exceptions.signal(vector))
}

private func kernelFault(_ frame: UnsafeMutablePointer<TrapFrame>) -> Never {
    let f = frame.pointee
    Console.write("\nkernel panic: ")
    Console.write(Exceptions.name(f.vector))
    Console.write(" in the kernel, vector ")
    Console.decimal(f.vector)
    Console.write(", error ")
    Console.hex(f.error)
    Console.write(", faulting address (CR2) ")
    Console.hex(cpuCR2())
    Console.write("\n")
    func show(_ name: StaticString, _ value: UInt64) {
        Console.write(name)
        Console.write("=")
        Console.hex(value)
        Console.write(" ")
    }
    show("rip", f.rip); show("cs", f.cs); show("rflags", f.rflags); show("rsp", f.rsp); show("ss", f.ss)
    Console.write("\n")
    show("rax", f.rax); show("rbx", f.rbx); show("rcx", f.rcx); show("rdx", f.rdx)
    Console.write("\n")
    show("rsi", f.rsi); show("rdi", f.rdi); show("rbp", f.rbp); show("r8 ", f.r8)
    Console.write("\n")
    show("r9 ", f.r9); show("r10", f.r10); show("r11", f.r11); show("r12", f.r12)
    Console.write("\n")
    show("r13", f.r13); show("r14", f.r14); show("r15", f.r15); show("cr3", cpuCR3())
    Console.write("\nkernel: halted\n")
    cpuHaltForever()
}

/// A kernel invariant broke: say so and halt.
func panic(_ message: StaticString) -> Never {
    Console.write("\nkernel panic: ")
    Console.write(message)
    Console.write("\nkernel: halted\n")
    cpuHaltForever()
}
