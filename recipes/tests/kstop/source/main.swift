// kstop: powers the machine off through `sys:kstop` (the boot test's last step).

import RedoxRuntime

@_cdecl("program_main")
func programMain() -> Int {
    let fd = Sys.open("/scheme/sys/kstop", flags: OpenFlags.writeOnly)
    guard fd >= 0 else {
        say("kstop: cannot open /scheme/sys/kstop: ", .text(Errno.name(fd)))
        return 1
    }
    say("kstop: shutting down")
    return Sys.write(fd, bytes("shutdown"))
}
