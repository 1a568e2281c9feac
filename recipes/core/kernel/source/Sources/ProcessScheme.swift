// `kernel.proc:` — the documented subset of process management this kernel offers instead of
// Redox's userspace procmgr + exec (kernel.md §5.2 allows a subset): every process holds a handle
// naming itself at upper slot 0 (auxv AT_REDOX_PROC_FD). Reading it gives `ProcMeta`; SYS_CALL
// with metadata[0] = ProcCall:
//   0 Waitpid  metadata[1] = pid (usize::MAX: any child), metadata[2] = 1 for WNOHANG;
//              payload (≥ 8 bytes) receives the status; → pid (0 with WNOHANG and none done)
//   2 Exit     metadata[1] = status → never returns
//   0x100 Spawn payload = SpawnRequest (64 bytes) → child pid. The kernel loads the static ELF.

enum ProcCall {
    static let waitpid: UInt64 = 0
    static let exit: UInt64 = 2
    static let spawn: UInt64 = 0x100
}

final class ProcessScheme: Scheme {
    override func open(_ path: [UInt8], flags: Int) -> (Int, Bool) { (Scheduler.current!.pid, false) }

    override func read(_ file: FileDescription, address: UInt64, count: Int, offset: UInt64) -> Int {
        guard let process = Processes.find(file.number) else { return -Errno.ESRCH }
        var meta = [UInt8](repeating: 0, count: 44)
        func put(_ index: Int, _ value: Int) {
            for byte in 0..<4 { meta[4 * index + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
        }
        put(0, process.pid); put(1, process.pid); put(2, process.parent)
        return UserMemory.copyOut(meta, to: address, count: count)
    }

    override func call(_ file: FileDescription, payload: UInt64, count: Int, metadata: [UInt64]) -> Int {
        guard let kind = metadata.first else { return -Errno.EINVAL }
        let current = Scheduler.current!
        switch kind {
        case ProcCall.exit:
            guard file.number == current.pid else { return -Errno.EPERM }
            Processes.exit(current, status: Int((metadata.count > 1 ? metadata[1] : 0) & 0xFF) << 8)
        case ProcCall.waitpid:
            let wanted = metadata.count > 1 ? metadata[1] : UInt64.max
            let noHang = metadata.count > 2 && metadata[2] & 1 != 0
            if count >= 8 && !UserMemory.valid(payload, 8, writable: true) { return -Errno.EFAULT }
            while true {
                var hasChild = false
                for child in Processes.all where child.parent == current.pid && !child.reaped
                    && (wanted == UInt64.max || UInt64(child.pid) == wanted) {
                    hasChild = true
                    if child.state == .dead {
                        child.reaped = true
                        Processes.remove(child)
                        if count >= 8 { _ = UserMemory.store(UInt64(child.exitStatus), at: payload) }
                        return child.pid
                    }
                }
                if !hasChild { return -Errno.ECHILD }
                if noHang { return 0 }
                Processes.childExited.wait()
            }
        case ProcCall.spawn:
            guard count >= 64, let request = UserMemory.copyIn(payload, 64) else { return -Errno.EFAULT }
            return Spawn.fromRequest(request)
        default:
            return -Errno.EINVAL
        }
    }
}
