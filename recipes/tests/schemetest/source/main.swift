// schemetest: exercises every scheme the boot test asserts on — zero, null, rand, log, pipe
// (between two processes), event, memory, futex, a dying daemon — and prints one line per check.
// `schemetest pipe-writer` is the child end of the pipe test.

import RedoxRuntime

nonisolated(unsafe) var passed = 0
nonisolated(unsafe) var failed = 0

func check(_ ok: Bool, _ pieces: Piece...) {
    var line: [UInt8] = bytes(ok ? "schemetest: ok: " : "schemetest: FAILED: ")
    for piece in pieces {
        switch piece {
        case .text(let text): line += bytes(text)
        case .number(let value): line += decimal(value)
        case .bytes(let value): line += value
        case .hex:
            var text: [UInt8] = []
            piece.append(to: &text)
            line += text
        }
    }
    say(.bytes(line))
    if ok { passed += 1 } else { failed += 1 }
}

@_cdecl("program_main")
func programMain() -> Int {
    if Runtime.arguments.count > 1 && Runtime.arguments[1] == bytes("pipe-writer") {
        say("message from the pipe writer, pid ", .number(Process.id))
        return 0
    }
    say("schemetest: started (pid ", .number(Process.id), ")")
    testZero()
    testNull()
    testRandom()
    testLog()
    testPipe()
    testEvent()
    testMemory()
    testFutex()
    testDyingDaemon()
    if let listing = readFile(bytes("/scheme")) {
        let names = listing.split(separator: 0x0A).map { Array($0) }
        let expected = ["debug", "event", "memory", "pipe", "sys", "initfs", "log", "null", "zero", "rand"].map { Array($0.utf8) }
        check(expected.allSatisfy { names.contains($0) }, "/scheme lists ", .number(names.count), " schemes, the kernel's and the daemons'")
    } else {
        check(false, "/scheme can be listed")
    }
    let missing = Sys.open("/scheme/nosuch/file")
    check(missing == -Errno.ENODEV, "opening an unknown scheme gives ENODEV (", .text(Errno.name(missing)), ")")
    say("schemetest: ", .number(passed), " checks passed, ", .number(failed), " failed")
    return failed == 0 ? 0 : 1
}

func testZero() {
    let fd = Sys.open("/scheme/zero", flags: OpenFlags.readOnly)
    var buffer = [UInt8](repeating: 0xAA, count: 64)
    let got = buffer.withUnsafeMutableBytes { Sys.read(fd, $0) }
    check(fd >= 0 && got == 64 && buffer.allSatisfy { $0 == 0 }, "zero: read gives 64 zero bytes")
    let (result, mode, _) = Sys.fstat(fd)
    check(result == 0 && mode & 0xF000 == 0x2000, "zero: fstat answered by zerod (mode ", .number(Int(mode)), ")")
    _ = Sys.close(fd)
}

func testNull() {
    let fd = Sys.open("null:", flags: OpenFlags.readWrite)
    let written = Sys.write(fd, [UInt8](repeating: 0x55, count: 100))
    let read = Sys.read(fd, count: 16)
    check(fd >= 0 && written == 100 && read.isEmpty, "null: swallows 100 bytes, reads give end of file (legacy null: path)")
    _ = Sys.close(fd)
}

func testRandom() {
    let fd = Sys.open("/scheme/rand", flags: OpenFlags.readOnly)
    let first = Sys.read(fd, count: 16)
    let second = Sys.read(fd, count: 16)
    check(fd >= 0 && first.count == 16 && second.count == 16 && first != second,
          "rand: two reads give different bytes (", .number(Int(first.first ?? 0)), " ", .number(Int(second.first ?? 0)), " ...)")
    _ = Sys.close(fd)
}

func testLog() {
    let fd = Sys.open("/scheme/log/schemetest", flags: OpenFlags.writeOnly)
    let written = Sys.write(fd, bytes("hello through logd\n"))
    let path = Sys.fpath(fd)
    check(fd >= 0 && written == 19 && path == bytes("/scheme/log/schemetest"), "log: line written, fpath is ", .bytes(path))
    _ = Sys.close(fd)
}

func testPipe() {
    let readEnd = Sys.open("/scheme/pipe", flags: OpenFlags.readOnly)
    let writeEnd = Sys.dup(readEnd, bytes("write"))
    let program = Runtime.arguments.first ?? bytes("/scheme/initfs/bin/schemetest")
    let pid = Process.spawn(path: program, arguments: [program, bytes("pipe-writer")], fds: [0, writeEnd, 2])
    _ = Sys.close(writeEnd)
    var received: [UInt8] = []
    while true {
        let chunk = Sys.read(readEnd, count: 256)
        if chunk.isEmpty { break }
        received += chunk
    }
    _ = Sys.close(readEnd)
    let (waited, status) = Process.wait(pid)
    if received.last == 0x0A { received.removeLast() }
    check(pid > 0 && waited == pid && status == 0 && received.starts(with: bytes("message from the pipe writer, pid ")),
          "pipe: carried \"", .bytes(received), "\" from pid ", .number(pid))
}

func testEvent() {
    let queue = Sys.open("/scheme/event")
    let readEnd = Sys.open("/scheme/pipe", flags: OpenFlags.readOnly)
    let writeEnd = Sys.dup(readEnd, bytes("write"))
    let subscription: [UInt64] = [UInt64(readEnd), 1, 42]
    let subscribed = subscription.withUnsafeBytes { Sys.write(queue, $0) }
    _ = Sys.write(writeEnd, bytes("x"))
    var event: [UInt64] = [0, 0, 0]
    let got = event.withUnsafeMutableBytes { Sys.read(queue, $0) }
    check(queue >= 0 && subscribed == 24 && got == 24 && event[0] == UInt64(readEnd) && event[1] == 1 && event[2] == 42,
          "event: a pipe becoming readable is reported (fd ", .number(Int(event[0])), ", data ", .number(Int(event[2])), ")")
    for fd in [queue, readEnd, writeEnd] { _ = Sys.close(fd) }
}

func testMemory() {
    let fd = Sys.open("/scheme/memory/zeroed")
    let size = 64 * 1024
    let address = Sys.mapAnonymous(size: size, fd: fd)
    var ok = fd >= 0 && address > 0
    if ok {
        let memory = UnsafeMutablePointer<UInt8>(bitPattern: UInt(address))!
        for index in 0..<size where memory[index] != 0 { ok = false; break }
        for index in 0..<size { memory[index] = UInt8(truncatingIfNeeded: index) }
        for index in 0..<size where memory[index] != UInt8(truncatingIfNeeded: index) { ok = false; break }
        ok = ok && Sys.unmap(UInt64(address), size: size) == 0
    }
    check(ok, "memory: 64 KiB mapped zeroed at ", .hex(UInt64(max(address, 0))), ", written, read back, unmapped")
    _ = Sys.close(fd)
}

func testFutex() {
    let word = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    word.pointee = 7
    let mismatch = Sys.futexWait(word, expected: 8)
    let woken = Sys.futexWake(word, count: 1)
    check(mismatch == -Errno.EAGAIN && woken == 0, "futex: wait on a changed value gives EAGAIN, wake finds no waiter")
    word.deallocate()
}

func testDyingDaemon() {
    let readEnd = Sys.open("/scheme/pipe", flags: OpenFlags.readOnly)
    let writeEnd = Sys.dup(readEnd, bytes("write"))
    let pid = Process.spawn(path: bytes("/scheme/initfs/bin/crashd"), arguments: [bytes("crashd")],
                            environment: [bytes("INIT_NOTIFY=3")], fds: [0, 1, 2, writeEnd])
    _ = Sys.close(writeEnd)
    let ready = Sys.read(readEnd, count: 1)
    _ = Sys.close(readEnd)
    let result = Sys.open("/scheme/crash/anything")
    let (_, status) = Process.wait(pid)
    check(pid > 0 && ready == [0] && result == -Errno.EIO && Process.describe(status).value == 3,
          "a daemon dying with the request pending fails it with ", .text(Errno.name(result)))
}
