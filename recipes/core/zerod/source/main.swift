// zerod / nulld: one program, the role from argv[0] (kernel.md §4.2). zero: reads fill zeros;
// null: reads give end of file; writes are swallowed by both.

import RedoxRuntime

final class ZeroDaemon: SchemeDaemon {
    let zero: Bool

    init(zero: Bool) {
        self.zero = zero
        super.init(name: bytes(zero ? "zero" : "null"))
    }

    override func open(path: [UInt8], flags: Int, caller: UInt64) -> (Int, Bool) { (0, false) }

    override func read(handle: Int, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64) -> Int {
        guard zero else { return 0 }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        return buffer.count
    }

    override func write(handle: Int, from buffer: UnsafeRawBufferPointer, offset: UInt64) -> Int { buffer.count }
}

@_cdecl("program_main")
func programMain() -> Int {
    let program = Runtime.arguments.first ?? []
    let name = program.split(separator: 0x2F).last.map(Array.init) ?? program
    let daemon = ZeroDaemon(zero: name != bytes("nulld"))
    guard daemon.register() >= 0 else {
        say(.bytes(name), ": cannot register the scheme")
        return 1
    }
    daemon.notifyReady()
    return daemon.serve()
}
