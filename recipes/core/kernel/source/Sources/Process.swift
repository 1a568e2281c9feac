// Processes: one thread each, with an address space, a file table and a kernel stack.

enum ProcessState { case ready, running, blocked, dead }

final class Process {
    static let kernelStackSize = 32 * 1024

    let pid: Int
    let parent: Int
    var name: [UInt8]
    var space: AddressSpace?
    let files = FileTable()
    var state = ProcessState.blocked
    var exitStatus = 0
    var reaped = false
    let kernelStack: UnsafeMutableRawPointer
    /// Where switch_stacks keeps this process's stack pointer while it is not running.
    let savedStack: UnsafeMutablePointer<UInt64>
    var kernelStackFreed = false
    var wakeTick: UInt64 = 0
    var sliceTicks = 0
    var mapNext = Layout.mmapBase
    var windowSlots = [Bool](repeating: false, count: Layout.windowSlots)
    var ownedSchemes: [UserScheme] = []

    init?(pid: Int, parent: Int, name: [UInt8], space: AddressSpace) {
        var stack: UnsafeMutableRawPointer? = nil
        guard heapAllocate(&stack, 4096, Process.kernelStackSize) == 0, let stack else { return nil }
        self.pid = pid
        self.parent = parent
        self.name = name
        self.space = space
        kernelStack = stack
        savedStack = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    }

    var kernelStackTop: UInt64 { UInt64(UInt(bitPattern: kernelStack)) + UInt64(Process.kernelStackSize) }

    /// Prepares the kernel stack so that the first switch to this process enters ring 3 at `entry`
    /// with `stack` as RSP and the given first argument registers.
    func prepareUserEntry(entry: UInt64, stack: UInt64, rdi: UInt64 = 0, rflags: UInt64 = 0x202) {
        let top = kernelStackTop
        let frame = UnsafeMutablePointer<TrapFrame>(bitPattern: UInt(top - UInt64(TrapFrame.size)))!
        frame.pointee = TrapFrame(r15: 0, r14: 0, r13: 0, r12: 0, r11: 0, r10: 0, r9: 0, r8: 0,
                                  rbp: 0, rdi: rdi, rsi: 0, rdx: 0, rcx: 0, rbx: 0, rax: 0,
                                  vector: 0, error: 0, rip: entry, cs: 0x2B, rflags: rflags, rsp: stack, ss: 0x23)
        let words = UnsafeMutablePointer<UInt64>(bitPattern: UInt(top - UInt64(TrapFrame.size) - 56))!
        for index in 0..<6 { words[index] = 0 }
        words[6] = cpuInterruptReturnAddress()
        savedStack.pointee = UInt64(UInt(bitPattern: words))
    }

    /// A free window slot in this (daemon) process for a request buffer, or nil.
    func takeWindowSlot() -> Int? {
        for index in 0..<windowSlots.count where !windowSlots[index] {
            windowSlots[index] = true
            return index
        }
        return nil
    }
}

enum Processes {
    nonisolated(unsafe) static var all: [Process] = []
    nonisolated(unsafe) static var nextPid = 1
    nonisolated(unsafe) static let childExited = WaitQueue()

    static func find(_ pid: Int) -> Process? {
        for process in all where process.pid == pid { return process }
        return nil
    }

    static func add(_ process: Process) {
        all.append(process)
        Scheduler.makeReady(process)
    }

    static func allocatePid() -> Int {
        defer { nextPid += 1 }
        return nextPid
    }

    /// Ends `process` (the current one): files closed, schemes it served failed, memory freed;
    /// its parent is woken. Never returns.
    static func exit(_ process: Process, status: Int) -> Never {
        process.files.closeAll()
        for scheme in process.ownedSchemes { scheme.ownerDied() }
        process.ownedSchemes = []
        cpuSetCR3(AddressSpace.kernelRoot)
        process.space?.destroy()
        process.space = nil
        process.exitStatus = status
        process.state = .dead
        Scheduler.dying.append(process)
        if find(process.parent) == nil { process.reaped = true; remove(process) }
        // Children already dead are never waited for now; living ones remove themselves at exit.
        for child in all where child.parent == process.pid && child.state == .dead && child !== process {
            child.reaped = true
            remove(child)
        }
        childExited.wakeAll()
        Events.changed()
        Scheduler.schedule()
        panic("a dead process was scheduled")
    }

    static func remove(_ process: Process) {
        var index = 0
        while index < all.count {
            if all[index] === process { all.remove(at: index) } else { index += 1 }
        }
    }
}
