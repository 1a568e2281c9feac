// livetest: in a live boot (DISK_LIVE_ADDR set by the loader), checks lived's `disk.live` scheme:
// the listing, fstat of disk 0 against DISK_LIVE_SIZE, REDOXFS_BLOCK = 0, the RedoxFS header in
// the volume's header ring with the UUID of REDOXFS_UUID, the whole disk read to its end, and a
// write read back with its neighbours intact while the loader's copy (mapped through
// memory:physical) keeps the old bytes — the write lives in lived's RAM overlay; then the original
// bytes are written back, since the RedoxFS root is mounted from the same disk.live. Runs from the
// root (its package installs /usr/lib/init.d/10_livetest). Outside a live boot it says so and
// exits 0.

import RedoxRuntime

nonisolated(unsafe) var passed = 0
nonisolated(unsafe) var failed = 0

func check(_ ok: Bool, _ pieces: Piece...) {
    var line: [UInt8] = bytes(ok ? "livetest: ok: " : "livetest: FAILED: ")
    for piece in pieces { piece.append(to: &line) }
    say(.bytes(line))
    if ok { passed += 1 } else { failed += 1 }
}

func seek(_ fd: Int, _ offset: UInt64) -> Bool { Sys.call(SyscallNumber.lseek, UInt64(fd), offset, 0) >= 0 }

func readAt(_ fd: Int, _ offset: UInt64, count: Int) -> [UInt8]? {
    guard seek(fd, offset) else { return nil }
    var buffer = [UInt8](repeating: 0, count: count)
    let got = buffer.withUnsafeMutableBytes { Sys.read(fd, $0) }
    return got == count ? buffer : nil
}

func writeAt(_ fd: Int, _ offset: UInt64, _ bytes: [UInt8]) -> Int {
    guard seek(fd, offset) else { return -Errno.EINVAL }
    return Sys.write(fd, bytes)
}

func hexadecimal(_ text: [UInt8]) -> UInt64? {
    guard !text.isEmpty, text.count <= 16 else { return nil }
    var value: UInt64 = 0
    for digit in text {
        switch digit {
        case 0x30...0x39: value = value << 4 | UInt64(digit - 0x30)
        case 0x61...0x66: value = value << 4 | UInt64(digit - 0x61 + 10)
        default: return nil
        }
    }
    return value
}

/// A UUID as lowercase 8-4-4-4-12 hex.
func uuidText(_ raw: [UInt8]) -> [UInt8] {
    let digits = bytes("0123456789abcdef")
    var text: [UInt8] = []
    for (index, byte) in raw.enumerated() {
        if index == 4 || index == 6 || index == 8 || index == 10 { text.append(0x2D) }
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xF)])
    }
    return text
}

/// NAME from the loader's environment (`/scheme/sys/env`, one NAME=VALUE a line). livetest runs
/// from the root, and init drops the REDOXFS_* variables from the environment of the root's units.
func loaderVariable(_ name: StaticString) -> [UInt8]? {
    let key = bytes(name) + [0x3D]
    for line in (readFile(bytes("/scheme/sys/env")) ?? []).split(separator: 0x0A) where line.starts(with: key) {
        return Array(line.dropFirst(key.count).filter { $0 != 0 })
    }
    return nil
}

/// The first block of the header ring (256 slots) holding a RedoxFS header signature.
func findHeader(_ fd: Int) -> (slot: Int, block: [UInt8])? {
    for slot in 0..<256 {
        guard let block = readAt(fd, UInt64(slot) * 4096, count: 4096) else { return nil }
        if Array(block[0..<8]) == bytes("RedoxFS") + [0] { return (slot, block) }
    }
    return nil
}

/// /scheme/disk.live appears once lived has registered it (init waits, but be patient).
func waitForScheme() -> Bool {
    for _ in 0..<100 {
        let names = (readFile(bytes("/scheme")) ?? []).split(separator: 0x0A).map { Array($0) }
        if names.contains(bytes("disk.live")) { return true }
        _ = Sys.sleep(milliseconds: 50)
    }
    return false
}

@_cdecl("program_main")
func programMain() -> Int {
    guard let addressText = Runtime.variable("DISK_LIVE_ADDR"), let address = hexadecimal(addressText),
          let sizeText = Runtime.variable("DISK_LIVE_SIZE"), let liveSize = hexadecimal(sizeText) else {
        say("livetest: not a live boot (no DISK_LIVE_ADDR/DISK_LIVE_SIZE), nothing to check")
        return 0
    }
    say("livetest: live boot: the loader's copy at ", .hex(address), ", ", .number(Int(liveSize)), " bytes")
    check(loaderVariable("REDOXFS_BLOCK") == bytes("0000000000000000"), "REDOXFS_BLOCK is 0000000000000000 in a live boot")
    guard waitForScheme() else {
        check(false, "disk.live is not among the schemes")
        return 1
    }
    check((readFile(bytes("/scheme/disk.live")) ?? []) == bytes("0\n"), "the disk.live listing is disk 0")
    let disk = Sys.open(bytes("/scheme/disk.live/0"), flags: OpenFlags.readWrite)
    guard disk >= 0 else {
        check(false, "open /scheme/disk.live/0: ", .text(Errno.name(disk)))
        return 1
    }
    let (statResult, mode, size) = Sys.fstat(disk)
    check(statResult >= 0 && mode & 0xF000 == 0x6000 && size == liveSize,
          "fstat of disk.live:0 gives a block device of DISK_LIVE_SIZE (", .number(Int(size)), " bytes)")
    check(Sys.fpath(disk) == bytes("/scheme/disk.live/0"), "fpath is ", .bytes(Sys.fpath(disk)))

    // The RedoxFS header: its UUID must be the one the loader booted from.
    let expected = loaderVariable("REDOXFS_UUID") ?? []
    if let (slot, header) = findHeader(disk) {
        let uuid = uuidText(Array(header[16..<32]))
        say("livetest: RedoxFS header in slot ", .number(slot), " of disk.live:0, uuid ", .bytes(uuid))
        check(uuid == expected, "the RedoxFS UUID read through disk.live:0 is REDOXFS_UUID (", .bytes(expected), ")")
    } else {
        check(false, "no RedoxFS header in the first 256 blocks of disk.live:0")
    }

    // The whole disk, in 64 KiB reads, to its end, with a digest the host compares with the
    // image's bytes (FNV-1a over little-endian 64-bit words): the copy survived the boot intact.
    var chunk = [UInt8](repeating: 0, count: 65_536)
    _ = seek(disk, 0)
    let start = Sys.monotonicNanoseconds()
    var total = 0
    var digest: UInt64 = 0xCBF2_9CE4_8422_2325
    while true {
        let got = chunk.withUnsafeMutableBytes { Sys.read(disk, $0) }
        if got <= 0 { break }
        chunk.withUnsafeBytes { raw in
            for index in 0..<(got / 8) {
                digest = (digest ^ raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)) &* 0x100_0000_01B3
            }
        }
        total += got
    }
    let elapsed = Sys.monotonicNanoseconds() - start
    check(UInt64(total) == size, "reading disk.live:0 to its end gives its size (", .number(total), " bytes)")
    say("livetest: digest of disk.live:0 (FNV-1a, 64-bit words): ", .hex(digest))
    if elapsed >= 1_000_000 {
        say("livetest: read and digested ", .number(total >> 20), " MiB through disk.live in ", .number(Int(elapsed / 1_000_000)), " ms")
    }

    // A write across a block boundary near the end: read back with its neighbours; the loader's
    // copy keeps the old bytes.
    let offset = size - 3 * 4096 - 350
    let pattern = (0..<700).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 0x41) }
    let before = readAt(disk, offset - 100, count: 900) ?? []
    let written = writeAt(disk, offset, pattern)
    check(written == pattern.count, "700 bytes written at byte ", .number(Int(offset)), " (across a block boundary)")
    let after = readAt(disk, offset - 100, count: 900) ?? []
    check(after.count == 900 && Array(after[100..<800]) == pattern, "the write reads back through disk.live:0")
    check(before.count == 900 && after.count == 900 && Array(after[0..<100]) == Array(before[0..<100])
          && Array(after[800..<900]) == Array(before[800..<900]), "the bytes around the write are unchanged")
    let memory = Sys.open(bytes("/scheme/memory/physical"))
    let page = offset & ~4095
    let mapped = memory >= 0 ? Sys.mapPhysical(fd: memory, physical: address + page, size: 2 * 4096) : memory
    if mapped > 0 {
        let loaderCopy = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(mapped))! + Int(offset - page), count: 700))
        check(loaderCopy == Array(before[100..<800]) && loaderCopy != pattern,
              "the loader's copy (memory:physical) still holds the old bytes: the write is in lived's overlay")
    } else {
        check(false, "memory:physical of the loader's copy: ", .text(Errno.name(mapped)))
    }
    let outside = memory >= 0 ? Sys.mapPhysical(fd: memory, physical: address + ((liveSize + 4095) & ~4095), size: 1 << 30) : memory
    check(outside == -Errno.EPERM, "memory:physical refuses a range running past the Reserved areas (EPERM)")
    _ = Sys.close(memory)
    check(writeAt(disk, size, [1, 2, 3]) == 0 && readAt(disk, size, count: 1) == nil, "nothing is read or written past the end")

    // The root is mounted from this disk: put the original bytes back and check them.
    if before.count == 900 {
        let original = Array(before[100..<800])
        check(writeAt(disk, offset, original) == original.count && readAt(disk, offset - 100, count: 900) == before,
              "the original bytes are written back and read back (the volume is as the loader copied it)")
    } else {
        check(false, "the bytes before the write were not read; cannot restore them")
    }
    _ = Sys.close(disk)
    say("livetest: ", .number(passed), " passed, ", .number(failed), " failed")
    return failed == 0 ? 0 : 1
}
