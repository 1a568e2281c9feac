// crashd: registers the `crash` scheme, takes one request and dies without answering it, so that
// the caller sees its request fail (kernel.md: a dying daemon fails its pending requests).

import RedoxRuntime

@_cdecl("program_main")
func programMain() -> Int {
    let socket = Sys.open(":crash", flags: OpenFlags.readWrite | OpenFlags.create)
    guard socket >= 0 else { return 1 }
    let daemon = SchemeDaemon(name: bytes("crash"))
    daemon.notifyReady()
    var request = [UInt8](repeating: 0, count: 64)
    let got = request.withUnsafeMutableBytes { Sys.read(socket, $0) }
    say("crashd: took a request (", .number(got), " bytes, opcode ", .number(Int(request[0])), ") and dies without answering")
    return 3
}
