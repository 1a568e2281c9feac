// init: runs the unit scripts of /scheme/initfs/lib/init.d in name order (initfs-bootstrap.md
// §6.1, legacy-script units): `echo`, `requires_weak` (accepted, order is by name), `nowait`,
// `notify`, `scheme NAME`, anything else a one-shot that is waited for. Leading `VAR=value`
// words go into the child's environment; `$VAR` words are replaced from init's environment
// (dropped when unset or empty). Services signal readiness with one byte 0 on the pipe named by
// INIT_NOTIFY (kernel.md §4.1).
// Then, when the initfs units mounted a root (`file:`, the redoxfs daemon), init continues from
// it (§6.1 step 4): REDOXFS_* leave the environment, and every unit of /usr/lib/init.d and
// /etc/init.d on the root runs in name order (/etc overriding an equally named file), commands
// from /usr/bin (then the initfs's bin). A root without either folder, or one that cannot be
// read, ends in one line saying so. Then it reaps children for ever.

import RedoxRuntime

let initfsPrefix = bytes("/scheme/initfs")
/// Where commands without a '/' are looked for, in order.
nonisolated(unsafe) var commandFolders: [[UInt8]] = [bytes("/scheme/initfs/bin/")]

@_cdecl("program_main")
func programMain() -> Int {
    say("init: started (pid ", .number(Process.id), ")")
    let directory = initfsPrefix + bytes("/lib/init.d")
    let (listing, error) = readWhole(directory)
    guard let listing else {
        say("init: cannot list ", .bytes(directory), ": ", .text(Errno.name(error)))
        return reapForever()
    }
    for unit in sortedNames(listing) { runUnit(directory + [0x2F] + unit, name: unit) }
    continueFromRoot()
    return reapForever()
}

/// §6.1 step 4: the root's own units, when a root is mounted.
func continueFromRoot() {
    Runtime.environment = Runtime.environment.filter { !($0.count >= 8 && Array($0[0..<8]) == bytes("REDOXFS_")) }
    let root = Sys.open("/scheme/file", flags: OpenFlags.readOnly | OpenFlags.directory)
    guard root >= 0 else {
        say("init: no root file system (scheme file: ", .text(Errno.name(root)), "); staying on the initfs")
        return
    }
    _ = Sys.close(root)
    commandFolders = [bytes("/usr/bin/"), bytes("/scheme/initfs/bin/")]
    var units: [(name: [UInt8], path: [UInt8])] = []
    var found = false
    for folder in [bytes("/usr/lib/init.d"), bytes("/etc/init.d")] {
        let (listing, error) = readWhole(folder)
        guard let listing else {
            if error != -Errno.ENOENT {
                say("init: cannot list ", .bytes(folder), " on the root file system: ", .text(Errno.name(error)))
            }
            continue
        }
        found = true
        for name in sortedNames(listing) {
            units.removeAll { $0.name == name }
            units.append((name, folder + [0x2F] + name))
        }
    }
    guard found else {
        say("init: the root file system has no /usr/lib/init.d or /etc/init.d: nothing to start from the root")
        return
    }
    guard !units.isEmpty else {
        say("init: /usr/lib/init.d and /etc/init.d on the root file system are empty: nothing to start from the root")
        return
    }
    say("init: continuing from the root file system (", .number(units.count), " units)")
    units.sort { $0.name.lexicographicallyPrecedes($1.name) }
    for unit in units { runUnit(unit.path, name: unit.name) }
}

func runUnit(_ path: [UInt8], name: [UInt8]) {
    let (text, error) = readWhole(path)
    guard let text else {
        say("init: cannot read unit ", .bytes(path), ": ", .text(Errno.name(error)))
        return
    }
    for line in split(text, separator: 0x0A) { run(line) }
}

func sortedNames(_ listing: [UInt8]) -> [[UInt8]] {
    split(listing, separator: 0x0A).filter { !$0.isEmpty }.sorted { $0.lexicographicallyPrecedes($1) }
}

/// The whole content of `path`, or nil and −errno.
func readWhole(_ path: [UInt8]) -> ([UInt8]?, Int) {
    let fd = Sys.open(path, flags: OpenFlags.readOnly)
    guard fd >= 0 else { return (nil, fd) }
    defer { _ = Sys.close(fd) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let got = chunk.withUnsafeMutableBytes { Sys.read(fd, $0) }
        if got < 0 { return (nil, got) }
        if got == 0 { break }
        data.append(contentsOf: chunk[0..<got])
    }
    return (data, 0)
}

/// `$VAR` words replaced by the variable's value (dropped when unset or empty); `VAR=$` copies
/// VAR from init's environment (dropped when unset).
func substitute(_ words: [[UInt8]]) -> [[UInt8]] {
    var result: [[UInt8]] = []
    for word in words {
        if word.count > 1 && word.first == 0x24 {
            if let value = variable(Array(word[1...])), !value.isEmpty { result.append(value) }
        } else if word.count > 2 && word.last == 0x24 && word[word.count - 2] == 0x3D {
            let name = Array(word[0..<(word.count - 2)])
            if let value = variable(name), !value.isEmpty { result.append(name + [0x3D] + value) }
        } else {
            result.append(word)
        }
    }
    return result
}

func variable(_ name: [UInt8]) -> [UInt8]? {
    let key = name + [0x3D]
    for entry in Runtime.environment where entry.count >= key.count && Array(entry[0..<key.count]) == key {
        return Array(entry[key.count...])
    }
    return nil
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
    let raw = split(line, separator: 0x20).filter { !$0.isEmpty }
    guard let first = raw.first, first.first != 0x23 else { return }
    let words = substitute(raw)
    guard let command = words.first else { return }
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
    var path = command
    if command.first != 0x2F {
        path = commandFolders[0] + command
        for folder in commandFolders {
            let probe = Sys.open(folder + command, flags: OpenFlags.readOnly)
            if probe >= 0 {
                _ = Sys.close(probe)
                path = folder + command
                break
            }
        }
    }
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
