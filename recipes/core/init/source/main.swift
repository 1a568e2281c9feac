// init: runs the unit scripts of /scheme/initfs/lib/init.d in name order (initfs-bootstrap.md
// §6.1, legacy-script units): `echo`, `requires_weak` (accepted, order is by name), `nowait`,
// `notify`, `scheme NAME`, anything else a one-shot that is waited for. Leading `VAR=value`
// words go into the child's environment. Services signal readiness with one byte 0 on the pipe
// named by INIT_NOTIFY (kernel.md §4.1). Then it reaps children for ever.

import RedoxRuntime

let prefix = bytes("/scheme/initfs")

@_cdecl("program_main")
func programMain() -> Int {
    say("init: started (pid ", .number(Process.id), ")")
    let directory = prefix + bytes("/lib/init.d")
    guard let listing = readFile(directory) else {
        say("init: cannot list ", .bytes(directory))
        return reapForever()
    }
    let units = split(listing, separator: 0x0A).filter { !$0.isEmpty }.sorted { $0.lexicographicallyPrecedes($1) }
    for unit in units {
        guard let text = readFile(directory + [0x2F] + unit) else {
            say("init: cannot read unit ", .bytes(unit))
            continue
        }
        for line in split(text, separator: 0x0A) { run(line) }
    }
    return reapForever()
}

func reapForever() -> Int {
    while true {
        let (pid, status) = Process.wait()
        if pid == -Errno.ECHILD { _ = Sys.sleep(milliseconds: 1000); continue }
        if pid > 0 { report(pid: pid, name: [], status: status) }
    }
}

func split(_ bytes: [UInt8], separator: UInt8) -> [[UInt8]] {
    var parts: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in bytes {
        if byte == separator { parts.append(current); current = [] } else { current.append(byte) }
    }
    if !current.isEmpty { parts.append(current) }
    return parts
}

func run(_ line: [UInt8]) {
    let words = split(line, separator: 0x20).filter { !$0.isEmpty }
    guard let command = words.first, command.first != 0x23 else { return }
    switch command {
    case bytes("echo"):
        var text: [UInt8] = []
        for (index, word) in words.dropFirst().enumerated() { if index > 0 { text.append(0x20) }; text += word }
        say(.bytes(text))
    case bytes("requires_weak"):
        return
    case bytes("nowait"):
        _ = start(Array(words.dropFirst()), notify: false)
    case bytes("notify"):
        _ = start(Array(words.dropFirst()), notify: true)
    case bytes("scheme") where words.count >= 3:
        let name = words[1]
        if let pid = start(Array(words.dropFirst(2)), notify: true) {
            say("init: scheme ", .bytes(name), " ready (pid ", .number(pid), ")")
        }
    default:
        if let pid = start(words, notify: false) {
            let (_, status) = Process.wait(pid)
            report(pid: pid, name: words.first(where: { !$0.contains(0x3D) }) ?? [], status: status)
        }
    }
}

func report(pid: Int, name: [UInt8], status: Int) {
    let (exited, value) = Process.describe(status)
    if exited {
        say("init: ", .bytes(name), " (pid ", .number(pid), ") exited with status ", .number(value))
    } else {
        say("init: ", .bytes(name), " (pid ", .number(pid), ") ended by signal ", .number(value))
    }
}

/// Spawns `[VAR=value ...] command args...`; with `notify`, waits for the readiness byte.
func start(_ words: [[UInt8]], notify: Bool) -> Int? {
    var environment = Runtime.environment
    var index = 0
    while index < words.count, words[index].contains(0x3D) {
        environment.append(words[index])
        index += 1
    }
    guard index < words.count else { return nil }
    let command = words[index]
    let path = command.first == 0x2F ? command : prefix + bytes("/bin/") + command
    var fds = [0, 1, 2]
    var readEnd = -1
    if notify {
        readEnd = Sys.open("/scheme/pipe", flags: OpenFlags.readOnly)
        let writeEnd = readEnd >= 0 ? Sys.dup(readEnd, bytes("write")) : -1
        guard writeEnd >= 0 else {
            say("init: cannot make the notification pipe for ", .bytes(command))
            return nil
        }
        fds.append(writeEnd)
        environment.append(bytes("INIT_NOTIFY=3"))
    }
    let pid = Process.spawn(path: path, arguments: [path] + Array(words[(index + 1)...]), environment: environment, fds: fds)
    if notify { _ = Sys.close(fds[3]) }
    guard pid > 0 else {
        say("init: cannot start ", .bytes(command), ": ", .text(Errno.name(pid)))
        if readEnd >= 0 { _ = Sys.close(readEnd) }
        return nil
    }
    if notify {
        let byte = Sys.read(readEnd, count: 1)
        _ = Sys.close(readEnd)
        if byte != [0] {
            say("init: ", .bytes(command), " (pid ", .number(pid), ") failed to become ready")
            return nil
        }
    }
    return pid
}
