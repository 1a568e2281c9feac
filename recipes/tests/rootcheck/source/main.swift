// rootcheck: the program the root file system's own startup runs (its package installs it as
// /usr/bin/rootcheck with the unit /usr/lib/init.d/90_rootcheck). It lists `/`, reads
// /etc/hostname, reports what an earlier boot left in /home/user/rootcheck.txt, writes that file
// anew (boot number + 1), syncs it, on the first boot writes one more file without fsync and
// waits for the daemon's idle commit, and powers the machine off through `sys:kstop`.

import RedoxRuntime

let notePath = bytes("/home/user/rootcheck.txt")
let notePrefix = bytes("rootcheck boot ")

@_cdecl("program_main")
func programMain() -> Int {
    say("rootcheck: running as ", .bytes(Runtime.arguments.first ?? []))
    var failures = 0
    if let listing = readFile(bytes("/")) {
        var names = listing.split(separator: 0x0A).map { Array($0) }
        names.sort { $0.lexicographicallyPrecedes($1) }
        var line: [UInt8] = []
        for name in names { line += (line.isEmpty ? [] : [0x20]) + name }
        say("rootcheck: / holds: ", .bytes(line))
    } else {
        say("rootcheck: FAILED: cannot list /")
        failures += 1
    }
    if let hostname = readFile(bytes("/etc/hostname")) {
        say("rootcheck: /etc/hostname: ", .bytes(Array(hostname.prefix { $0 != 0x0A })))
    } else {
        say("rootcheck: FAILED: cannot read /etc/hostname")
        failures += 1
    }
    var boot = 1
    if let previous = readFile(notePath) {
        let text = Array(previous.prefix { $0 != 0x0A })
        say("rootcheck: ", .bytes(notePath), " from an earlier boot: ", .bytes(text))
        if text.count > notePrefix.count, Array(text[0..<notePrefix.count]) == notePrefix {
            var number = 0
            for digit in text[notePrefix.count...] where digit >= 0x30 && digit <= 0x39 { number = number * 10 + Int(digit - 0x30) }
            boot = number + 1
        }
    } else {
        say("rootcheck: ", .bytes(notePath), " is not there yet")
    }
    failures += writeNote(notePrefix + decimal(boot) + [0x0A])
    waitForIdleCommit()
    say("rootcheck: ", failures == 0 ? "done" : "done with failures", ", shutting down")
    let stop = Sys.open("/scheme/sys/kstop", flags: OpenFlags.writeOnly)
    guard stop >= 0 else {
        say("rootcheck: cannot open /scheme/sys/kstop: ", .text(Errno.name(stop)))
        return 1
    }
    _ = Sys.write(stop, bytes("shutdown"))
    return 1
}

/// Once per volume: a file written without fsync, then a pause longer than the daemon's idle
/// commit interval (5 s), so that only the daemon's timer can have made it durable (the host
/// side of the boot test looks for it).
func waitForIdleCommit() {
    let path = bytes("/home/user/rootcheck-timer.txt")
    let fd = Sys.open(path, flags: OpenFlags.writeOnly | OpenFlags.create | OpenFlags.exclusive)
    guard fd >= 0 else {
        if fd != -Errno.EEXIST && fd != -Errno.EROFS { say("rootcheck: cannot create ", .bytes(path), ": ", .text(Errno.name(fd))) }
        return
    }
    let written = Sys.write(fd, bytes("committed by the idle timer\n"))
    _ = Sys.close(fd)
    say("rootcheck: wrote ", .bytes(path), " (", .number(written), " bytes) without fsync; waiting 7 s for the idle commit")
    _ = Sys.sleep(milliseconds: 7000)
}

/// Writes `content` to the note, syncs it, and reads it back; the number of failures.
func writeNote(_ content: [UInt8]) -> Int {
    let fd = Sys.open(notePath, flags: OpenFlags.writeOnly | OpenFlags.create | OpenFlags.truncate)
    guard fd >= 0 else {
        say("rootcheck: cannot write ", .bytes(notePath), ": ", .text(Errno.name(fd)))
        return 1
    }
    defer { _ = Sys.close(fd) }
    let written = Sys.write(fd, content)
    guard written == content.count else {
        say("rootcheck: FAILED: writing ", .bytes(notePath), " gave ", .number(written))
        return 1
    }
    let synced = Sys.fsync(fd)
    guard synced == 0 else {
        say("rootcheck: FAILED: fsync of ", .bytes(notePath), ": ", .text(Errno.name(synced)))
        return 1
    }
    say("rootcheck: wrote and synced ", .bytes(notePath), ": ", .bytes(Array(content.dropLast())))
    return 0
}
