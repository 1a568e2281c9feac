// Round-robin scheduling: a ready queue, preemption every 3 timer ticks from ring 3, blocking on
// wait queues, sleeping until a tick. The kernel runs with interrupts off; the idle wait enables
// them only around `hlt`.

final class WaitQueue {
    var waiters: [Process] = []

    /// Blocks the current process until woken (callers re-check their condition in a loop).
    func wait(untilTick deadline: UInt64 = 0) {
        let process = Scheduler.current!
        process.state = .blocked
        waiters.append(process)
        if deadline != 0 { Scheduler.sleepUntil(deadline, alreadyBlocked: true) } else { Scheduler.schedule() }
        var index = 0
        while index < waiters.count {
            if waiters[index] === process { waiters.remove(at: index) } else { index += 1 }
        }
    }

    func wakeAll() {
        let woken = waiters
        waiters = []
        for process in woken { Scheduler.makeReady(process) }
    }
}

enum Scheduler {
    nonisolated(unsafe) static var current: Process? = nil
    nonisolated(unsafe) static var ready: [Process] = []
    nonisolated(unsafe) static var sleepers: [Process] = []
    nonisolated(unsafe) static var bootStack: UInt64 = 0
    static let slice = 3

    static func makeReady(_ process: Process) {
        guard process.state == .blocked else { return }
        process.state = .ready
        ready.append(process)
    }

    /// Gives the processor to the next ready process (the current one keeps its place when it is
    /// still running). Returns when the current process runs again.
    static func schedule() {
        let previous = current
        if let previous, previous.state == .running {
            previous.state = .ready
            ready.append(previous)
        }
        while ready.isEmpty { cpuWaitInterrupt() }
        let next = ready.removeFirst()
        next.state = .running
        next.sliceTicks = 0
        if next !== previous {
            cpuSetCR3(next.space?.root ?? AddressSpace.kernelRoot)
            cpuSetKernelStack(next.kernelStackTop)
            current = next
            if let previous {
                switchStacks(previous.savedStack, next.savedStack.pointee)
            } else {
                switchStacks(&bootStack, next.savedStack.pointee)
            }
        }
        freeDeadStacks()
    }

    /// Timer tick from ring 3.
    static func preemptIfDue() {
        guard let process = current else { return }
        process.sliceTicks += 1
        if process.sliceTicks >= slice && !ready.isEmpty { schedule() }
    }

    static func yield() {
        if !ready.isEmpty { schedule() }
    }

    static func sleepUntil(_ tick: UInt64, alreadyBlocked: Bool = false) {
        let process = current!
        process.wakeTick = tick
        process.state = .blocked
        sleepers.append(process)
        schedule()
        process.wakeTick = 0
        var index = 0
        while index < sleepers.count {
            if sleepers[index] === process { sleepers.remove(at: index) } else { index += 1 }
        }
    }

    static func wakeSleepers() {
        var index = 0
        while index < sleepers.count {
            let process = sleepers[index]
            if process.wakeTick != 0 && process.wakeTick <= Timer.ticks {
                sleepers.remove(at: index)
                makeReady(process)
            } else {
                index += 1
            }
        }
    }

    /// Dead processes whose kernel stacks can go once another process runs.
    nonisolated(unsafe) static var dying: [Process] = []

    private static func freeDeadStacks() {
        var index = 0
        while index < dying.count {
            let process = dying[index]
            if process !== current {
                heapFree(process.kernelStack)
                process.kernelStackFreed = true
                dying.remove(at: index)
            } else {
                index += 1
            }
        }
    }
}
