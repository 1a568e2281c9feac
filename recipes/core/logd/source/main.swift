// logd: the `log` scheme (kernel.md §4.2). Opening any path gives a log context named by it;
// written lines go to the kernel debug console as `context: line`; reads give nothing.

import RedoxRuntime

final class LogDaemon: SchemeDaemon {
    var contexts: [(name: [UInt8], pending: [UInt8])?] = []

    init() { super.init(name: bytes("log")) }

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) {
        let context = (path, [UInt8]())
        for index in 0..<contexts.count where contexts[index] == nil {
            contexts[index] = context
            return (index, false)
        }
        contexts.append(context)
        return (contexts.count - 1, false)
    }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int { 0 }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int {
        guard handle >= 0, handle < contexts.count, var context = contexts[handle] else { return -Errno.EBADF }
        for byte in buffer {
            if byte == 0x0A {
                say(.bytes(context.name), ": ", .bytes(context.pending))
                context.pending = []
            } else {
                context.pending.append(byte)
            }
        }
        contexts[handle] = context
        return buffer.count
    }

    override func close(handle: Int) {
        guard handle >= 0, handle < contexts.count, let context = contexts[handle] else { return }
        if !context.pending.isEmpty { say(.bytes(context.name), ": ", .bytes(context.pending)) }
        contexts[handle] = nil
    }

    override func path(handle: Int) -> [UInt8] {
        guard handle >= 0, handle < contexts.count, let context = contexts[handle] else { return [] }
        return context.name
    }
}

@_cdecl("program_main")
func programMain() -> Int {
    let daemon = LogDaemon()
    guard daemon.register() >= 0 else {
        say("logd: cannot register the scheme")
        return 1
    }
    daemon.notifyReady()
    return daemon.serve()
}
